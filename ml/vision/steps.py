"""The measured training steps of the EfficientNet, and the helpers both models' steps share.

Each training function returns the trained :class:`~ml.vision.models.Classifier`, the list
of steps (validation and test accuracy, seconds, what the step is, whether it was kept)
and the model's report entry. The validation split decides what is kept; the test split is
only reported. The ViT's steps are in :mod:`ml.vision.steps_vit`.

Training views: the photo, its mirror, then random views (Keras augmentation layers), each
pushed through the frozen trunk once and cached.
"""

from __future__ import annotations

import sys
import time
from dataclasses import replace

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
         what: str, kept: bool = True) -> dict:
    """One row of the "what each step bought" table."""
    return {"step": name,
            "validation_accuracy": round(accuracy(labels["validation"],
                                                  probabilities["validation"]), 4),
            "test_accuracy": round(accuracy(labels["test"], probabilities["test"]), 4),
            "seconds": round(seconds, 1), "what": what, "kept": kept}


def better(labels: Split, candidate: dict[str, np.ndarray], current: dict[str, np.ndarray]
           ) -> bool:
    """Whether ``candidate`` is at least as accurate as ``current`` on validation."""
    return (accuracy(labels["validation"], candidate["validation"])
            >= accuracy(labels["validation"], current["validation"]))


def logistic(features: Split, labels: Split, extra: tuple[np.ndarray, np.ndarray] | None
             ) -> dict[str, np.ndarray]:
    """A logistic regression on frozen features: the baseline probe of a trunk."""
    x, y = features["train"], labels["train"]
    if extra is not None and len(extra[0]):
        x, y = np.concatenate([x, extra[0]]), np.concatenate([y, extra[1]])
    model = LogisticRegression(max_iter=3000, C=0.5).fit(x, y)
    return {k: model.predict_proba(features[k]) for k in ("validation", "test")}


def entry(seconds: float, histories: list[dict], probabilities: dict[str, np.ndarray],
          labels: Split, class_names: list[str]) -> dict:
    """A model's report entry: curves, train/validation accuracy and gap, test report."""
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


def mirror(images: np.ndarray) -> np.ndarray:
    """Left-right mirror images (NHWC), the cheapest training view."""
    return np.ascontiguousarray(images[:, :, ::-1])


def mirrored_eval(pixels: np.ndarray, index: Split) -> np.ndarray:
    """The validation then test photos, mirrored (for test-time augmentation)."""
    return np.ascontiguousarray(pixels[np.concatenate([index["validation"],
                                                       index["test"]])][:, :, ::-1])


def split_back(values: np.ndarray, index: Split) -> dict[str, np.ndarray]:
    """Undo :func:`mirrored_eval`'s concatenation."""
    n_val = len(index["validation"])
    return {"validation": values[:n_val], "test": values[n_val:]}


def tta_step(steps: list[dict], labels: Split, probabilities: dict[str, np.ndarray],
             flipped: dict[str, np.ndarray], started: float
             ) -> tuple[dict[str, np.ndarray], bool]:
    """Mirror test-time augmentation, kept when it does not lower validation accuracy."""
    averaged = dict(probabilities)
    for key in ("validation", "test"):
        averaged[key] = (probabilities[key] + flipped[key]) / 2.0
    keep = better(labels, averaged, probabilities)
    steps.append(step("+ mirror test-time augmentation (2 passes per photo)", labels, averaged,
                      time.perf_counter() - started, "kept only if validation does not drop",
                      keep))
    return (averaged if keep else probabilities), keep


def averaged_head(x: np.ndarray, y: np.ndarray, validation: tuple[np.ndarray, np.ndarray],
                  n_classes: int, config: train.TopConfig):
    """``config.head_seeds`` linear heads from different seeds, their weights averaged.

    A linear head's logits are linear in its weights, so the averaged head *is* the
    ensemble of the heads, at the cost of one at inference. Returns (head, first history).
    """
    weights, histories = [], []
    for offset in range(max(1, config.head_seeds)):
        head = models.linear_head(x.shape[1], n_classes)
        histories.append(train.fit_top(
            head, x, y, validation, n_classes, replace(config, seed=config.seed + offset),
            epochs=config.head_epochs, learning_rate=config.head_learning_rate))
        weights.append(head.get_weights())
    head.set_weights([np.mean([w[i] for w in weights], axis=0) for i in range(len(weights[0]))])
    history = {"curves": histories[0]["curves"],
               "seconds": sum(h["seconds"] for h in histories)}
    return head, history


def train_efficientnet(pixels: np.ndarray, views: list[np.ndarray], index: Split,
                       labels: Split, class_names: list[str], config: train.TopConfig,
                       fine_tune: bool
                       ) -> tuple[models.Classifier, list[dict], dict, np.ndarray]:
    """Linear head on frozen pooled features of the photos and their views (+ top blocks
    with ``fine_tune``); mirror TTA if validation keeps it.

    ``views`` holds the training photos' extra views (mirror first, then random views).
    Also returns the trained head's probabilities on every training view (the photo first,
    then ``views``): the teacher the ViT is distilled from. (A cross-fitted teacher, each
    photo taught by a head that never saw it, was measured and not kept: validation 0.704
    against 0.711, test 0.732 against 0.746, for five more heads to train.)
    """
    started = time.perf_counter()
    n_classes = len(class_names)
    y_train = labels["train"]
    eff = train.build("efficientnet", n_classes)
    # The frozen trunk runs with batch norm folded in: same numbers, about twice as fast.
    fused_trunk = models.efficientnet_classifier(n_classes, fused=True, load_weights=False).trunk
    fold_into([eff.trunk], fused_trunk)
    feats = cache(fused_trunk, pixels, "efficientnet trunk")
    feats_views = [cache(fused_trunk, view, f"efficientnet trunk (training view {k + 1})")
                   for k, view in enumerate(views)]
    pooled = {k: train.predict_batches(eff.pooled, feats[v]) for k, v in index.items()}
    pooled_views = [train.predict_batches(eff.pooled, f) for f in feats_views]
    validation = (pooled["validation"], labels["validation"])
    steps = [step("frozen Lite0, logistic regression on pooled features", labels,
                  logistic(pooled, labels, None), time.perf_counter() - started,
                  "the measured 0.87 baseline")]
    # How many of the extra views train the head: the mirror alone, then all the views if
    # the random ones do not lower the validation accuracy.
    candidates = [(1, f"+ mirror views, Keras linear head (AdamW, label smoothing), "
                   f"{config.head_seeds} seeds averaged", "the photo and its mirror")]
    if len(views) > 1:
        candidates.append((len(views), f"+ {len(views) - 1} random view(s) per photo (zoom, "
                           "rotation, contrast, erasing)", "kept only if validation does not "
                           "drop"))
    histories: list[dict] = []
    probabilities: dict[str, np.ndarray] = {}
    chosen = 1
    for n_views, name, what in candidates:
        t0 = time.perf_counter()
        head, history = averaged_head(
            np.concatenate([pooled["train"], *pooled_views[:n_views]]),
            np.tile(y_train, n_views + 1), validation, n_classes, config)
        candidate = {k: train.top_probabilities(head, pooled[k]) for k in pooled}
        keep = not histories or better(labels, candidate, probabilities)
        steps.append(step(name, labels, candidate, time.perf_counter() - t0, what, keep))
        if keep:
            probabilities, histories, chosen = candidate, [history], n_views
            eff.head.set_weights(head.get_weights())
    teacher = np.stack([train.top_probabilities(eff.head, view)
                        for view in (pooled["train"], *pooled_views)])
    if fine_tune:
        train.unfreeze_blocks(eff.top)
        history = train.fit_top(
            eff.top, np.concatenate([feats[index["train"]], *feats_views[:chosen]]),
            np.tile(y_train, chosen + 1), (feats[index["validation"]], labels["validation"]),
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
    flipped = split_back(predict(cache(fused_trunk, mirrored_eval(pixels, index),
                                       "efficientnet trunk (mirrored evaluation)")), index)
    probabilities, tta = tta_step(steps, labels, probabilities, flipped, t0)
    result = entry(time.perf_counter() - started, histories, probabilities, labels, class_names)
    result["mirror_tta"] = tta
    result["training_views"] = chosen + 1
    return eff, steps, result, teacher
