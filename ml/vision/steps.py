"""The measured training steps of each classifier, on cached trunk outputs.

Each function returns the trained :class:`~ml.vision.models.Classifier`, the list of steps
(validation and test accuracy, seconds, what the step is) and the model's report entry.
The validation split guides choices; the test split is only reported.
"""

from __future__ import annotations

import sys
import time

import numpy as np
from sklearn.linear_model import LogisticRegression
from tqdm import tqdm

from ml.vision import models, train
from ml.vision.efficientnet import fold_into
from ml.vision.metrics import accuracy, classification_report

Split = dict[str, np.ndarray]


def cache(model, images: np.ndarray, label: str, batch_size: int = 16) -> np.ndarray:
    """Run a frozen trunk over photos once, with a progress bar on stderr."""
    with tqdm(total=len(images), desc=label, unit="photo", file=sys.stderr) as bar:
        return train.predict_batches(model, images, batch_size, progress=bar)


def step(name: str, labels: Split, probabilities: dict[str, np.ndarray], seconds: float,
         what: str) -> dict:
    """One row of the "what each step bought" table."""
    return {"step": name,
            "validation_accuracy": round(accuracy(labels["validation"],
                                                  probabilities["validation"]), 4),
            "test_accuracy": round(accuracy(labels["test"], probabilities["test"]), 4),
            "seconds": round(seconds, 1), "what": what}


def _logistic(features: Split, labels: Split, extra: tuple[np.ndarray, np.ndarray] | None
              ) -> dict[str, np.ndarray]:
    x, y = features["train"], labels["train"]
    if extra is not None and len(extra[0]):
        x, y = np.concatenate([x, extra[0]]), np.concatenate([y, extra[1]])
    model = LogisticRegression(max_iter=3000, C=0.5).fit(x, y)
    return {k: model.predict_proba(features[k]) for k in ("validation", "test")}


def _entry(seconds: float, histories: list[dict], probabilities: dict[str, np.ndarray],
           labels: Split, class_names: list[str]) -> dict:
    merged: dict[str, list[float]] = {}
    for history in histories:
        for key, values in history["curves"].items():
            merged.setdefault(key, []).extend(values)
    train_acc = accuracy(labels["train"], probabilities["train"])
    val_acc = accuracy(labels["validation"], probabilities["validation"])
    return {"train_seconds": round(seconds, 1), "history": merged,
            "train_accuracy": train_acc, "validation_accuracy": val_acc,
            "generalisation_gap": round(train_acc - val_acc, 4),
            "test": classification_report(labels["test"], probabilities["test"], class_names)}


def train_efficientnet(pixels: np.ndarray, extra: tuple[np.ndarray, np.ndarray],
                       index: Split, labels: Split, class_names: list[str],
                       config: train.TopConfig, fine_tune: bool
                       ) -> tuple[models.Classifier, list[dict], dict, np.ndarray]:
    """Linear head on frozen pooled features (+ top blocks with ``fine_tune``).

    ``extra`` holds extra training views (mirrors, plus augmented photos with
    ``--fine-tune``) and their labels. Also returns the teacher's probabilities on the
    training photos and the extra views, for distilling the EfficientNet into the ViT.
    """
    mirrored, extra_y = extra
    started = time.perf_counter()
    n_classes = len(class_names)
    eff = train.build("efficientnet", n_classes)
    # The frozen trunk runs with batch norm folded in: same numbers, about twice as fast.
    fused_trunk = models.efficientnet_classifier(n_classes, fused=True, load_weights=False).trunk
    fold_into([eff.trunk], fused_trunk)
    feats = cache(fused_trunk, pixels, "efficientnet trunk")
    feats_flip = cache(fused_trunk, mirrored, "efficientnet trunk (extra views)")
    pooled = {k: train.predict_batches(eff.pooled, feats[v]) for k, v in index.items()}
    pooled_flip = train.predict_batches(eff.pooled, feats_flip)
    cached_s = time.perf_counter() - started
    steps = [step("frozen Lite0, logistic regression on pooled features", labels,
                  _logistic(pooled, labels, None), cached_s, "the measured 0.87 baseline")]
    both_y = np.concatenate([labels["train"], extra_y])
    history = train.fit_top(eff.head, np.concatenate([pooled["train"], pooled_flip]), both_y,
                            (pooled["validation"], labels["validation"]), n_classes, config,
                            epochs=config.head_epochs, learning_rate=config.head_learning_rate)
    probabilities = {k: train.top_probabilities(eff.head, pooled[k]) for k in pooled}
    steps.append(step("+ mirror views, Keras linear head (AdamW, label smoothing)", labels,
                      probabilities, history["seconds"], "the default (fast) model"))
    teacher = np.concatenate([probabilities["train"],
                              train.top_probabilities(eff.head, pooled_flip)])
    histories = [history]
    if fine_tune:
        train.unfreeze_blocks(eff.top)
        history = train.fit_top(eff.top, np.concatenate([feats[index["train"]], feats_flip]),
                                both_y, (feats[index["validation"]], labels["validation"]),
                                n_classes, config, epochs=config.epochs)
        probabilities = {k: train.top_probabilities(eff.top, feats[v]) for k, v in index.items()}
        steps.append(step("--fine-tune: blocks 11-15 + head conv trained", labels,
                          probabilities, history["seconds"], "fine-tuning the top of the CNN"))
        histories.append(history)
    def predict(features: np.ndarray) -> np.ndarray:
        if fine_tune:
            return train.top_probabilities(eff.top, features)
        return train.top_probabilities(eff.head, train.predict_batches(eff.pooled, features))

    t0 = time.perf_counter()
    flipped = _split_back(predict(cache(fused_trunk, _mirrored_eval(pixels, index),
                                        "efficientnet trunk (mirrored evaluation)")), index)
    probabilities, tta = _tta_step(steps, labels, probabilities, flipped, t0)
    entry = _entry(time.perf_counter() - started, histories, probabilities, labels, class_names)
    entry["mirror_tta"] = tta
    return eff, steps, entry, teacher


def train_vit(pixels: np.ndarray, extra: tuple[np.ndarray, np.ndarray], index: Split,
              labels: Split, class_names: list[str], config: train.TopConfig,
              teacher: np.ndarray, fine_tune: bool
              ) -> tuple[models.Classifier, list[dict], dict]:
    """The ViT's steps: frozen probes, linear head, then blocks 10-11 with a DeiT token."""
    mirrored, extra_y = extra
    started = time.perf_counter()
    n_classes = len(class_names)
    vit_model = train.build("vit", n_classes, distillation=True)
    tokens = cache(vit_model.trunk, pixels, "vit trunk")
    tokens_flip = (cache(vit_model.trunk, mirrored, "vit trunk (extra views)")
                   if config.vit_mirror or fine_tune else tokens[:0])
    flip_y = extra_y[:len(tokens_flip)]
    pooled = {k: train.predict_batches(vit_model.pooled, tokens[v]) for k, v in index.items()}
    pooled_flip = (train.predict_batches(vit_model.pooled, tokens_flip) if len(tokens_flip)
                   else pooled["train"][:0])
    cached_s = time.perf_counter() - started
    steps = [step("frozen DINOv2, logistic regression on (CLS, mean patch)", labels,
                  _logistic(pooled, labels, None), cached_s, "the measured 0.78 baseline")]
    t0 = time.perf_counter()
    steps.append(step("+ extra views (mirror; + augmented with --fine-tune)", labels,
                      _logistic(pooled, labels, (pooled_flip, flip_y)),
                      time.perf_counter() - t0, "augmentation on frozen features"))
    train_y = np.concatenate([labels["train"], flip_y])
    head_history = train.fit_top(
        vit_model.head, np.concatenate([pooled["train"], pooled_flip]), train_y,
        (pooled["validation"], labels["validation"]), n_classes, config,
        epochs=config.head_epochs, learning_rate=config.head_learning_rate)
    steps.append(step("+ Keras linear head (AdamW, label smoothing)", labels,
                      {k: train.top_probabilities(vit_model.head, pooled[k]) for k in pooled},
                      head_history["seconds"], "warm start for the fine-tuning"))
    train.unfreeze_blocks(vit_model.top)
    epochs = config.vit_epochs * (2 if fine_tune else 1)
    history = train.fit_top(
        vit_model.top, np.concatenate([tokens[index["train"]], tokens_flip]), train_y,
        (tokens[index["validation"]], labels["validation"]), n_classes, config,
        teacher=teacher[:len(train_y)], epochs=epochs)
    heads = {k: train.head_probabilities(vit_model.top, tokens[v]) for k, v in index.items()}
    for key, name, what in (
        ("label", "+ blocks 10-11 fine-tuned on cached tokens: class head alone",
         "fine-tuning (trained jointly with the distillation head)"),
        ("teacher", "  distillation head alone (EfficientNet soft targets)", "DeiT token"),
        ("average", "+ DeiT distillation: both heads averaged (the exported model)",
         "what distillation adds at inference"),
    ):
        steps.append(step(name, labels, {k: heads[k][key] for k in heads},
                          history["seconds"] if key == "average" else 0.0, what))
    probabilities = {k: heads[k]["average"] for k in heads}
    t0 = time.perf_counter()
    flipped_tokens = cache(vit_model.trunk, _mirrored_eval(pixels, index),
                           "vit trunk (mirrored evaluation)")
    flipped = _split_back(train.top_probabilities(vit_model.top, flipped_tokens), index)
    probabilities, tta = _tta_step(steps, labels, probabilities, flipped, t0)
    entry = _entry(time.perf_counter() - started, [head_history, history], probabilities,
                   labels, class_names)
    entry["mirror_tta"] = tta
    return vit_model, steps, entry


def mirror(images: np.ndarray) -> np.ndarray:
    """Left-right mirror images (NHWC), the augmentation cached with the originals."""
    return np.ascontiguousarray(images[:, :, ::-1])


def _mirrored_eval(pixels: np.ndarray, index: Split) -> np.ndarray:
    return mirror(pixels[np.concatenate([index["validation"], index["test"]])])


def _split_back(values: np.ndarray, index: Split) -> dict[str, np.ndarray]:
    n_val = len(index["validation"])
    return {"validation": values[:n_val], "test": values[n_val:]}


def _tta_step(steps: list[dict], labels: Split, probabilities: dict[str, np.ndarray],
              flipped: dict[str, np.ndarray], started: float
              ) -> tuple[dict[str, np.ndarray], bool]:
    """Mirror test-time augmentation, kept when it does not lower validation accuracy."""
    averaged = dict(probabilities)
    for key in ("validation", "test"):
        averaged[key] = (probabilities[key] + flipped[key]) / 2.0
    steps.append(step("+ mirror test-time augmentation (2 passes per photo)", labels, averaged,
                      time.perf_counter() - started, "kept only if validation does not drop"))
    keep = (accuracy(labels["validation"], averaged["validation"])
            >= accuracy(labels["validation"], probabilities["validation"]))
    return (averaged if keep else probabilities), keep
