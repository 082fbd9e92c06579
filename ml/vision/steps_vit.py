"""The ViT's measured training steps, on trunk tokens cached by onnxruntime.

DINOv2 blocks 0-9 are frozen: their tokens are computed once per photo and per training
view (:mod:`ml.vision.trunk_cache`). Then: linear probes (the baselines), a Keras linear
head (warm start), and blocks 10-11 fine-tuned with DeiT's distillation token, taught by
the EfficientNet's probabilities on each exact view; mirror test-time
augmentation if validation keeps it.
"""

from __future__ import annotations

import time

import numpy as np

from ml.vision import models, train
from ml.vision.steps import (
    Split,
    entry,
    logistic,
    mirrored_eval,
    split_back,
    step,
    tta_step,
)
from ml.vision.trunk_cache import trunk_session, trunk_tokens

CUT = 10


def train_vit(pixels: np.ndarray, views: list[np.ndarray], index: Split, labels: Split,
              class_names: list[str], config: train.TopConfig, teacher: np.ndarray,
              fine_tune: bool) -> tuple[models.Classifier, list[dict], dict]:
    """The ViT's steps: frozen probes, linear head, then blocks 10-11 with a DeiT token.

    ``views`` are the training photos' extra views (mirror first); the ViT uses the first
    ``config.vit_views`` of them. ``teacher`` holds the EfficientNet's probabilities on the
    training photos and each of ``views``: ``(1 + len(views), n_train, n_classes)``.
    """
    started = time.perf_counter()
    n_classes = len(class_names)
    vit_model = train.build("vit", n_classes, distillation=True,
                            patch_dropout=config.vit_patch_dropout)
    session = trunk_session(CUT)
    tokens = trunk_tokens(session, pixels, "vit trunk")
    used = views[:config.vit_views] if config.vit_mirror else []
    view_tokens = [trunk_tokens(session, view, f"vit trunk (training view {k + 1})")
                   for k, view in enumerate(used)]
    pooled = {k: train.predict_batches(vit_model.pooled, tokens[v]) for k, v in index.items()}
    pooled_views = [train.predict_batches(vit_model.pooled, t) for t in view_tokens]
    y_train = labels["train"]
    view_y = np.tile(y_train, len(used))
    steps = [step("frozen DINOv2, logistic regression on (CLS, mean patch)", labels,
                  logistic(pooled, labels, None), time.perf_counter() - started,
                  "the measured 0.78 baseline")]
    if pooled_views:
        t0 = time.perf_counter()
        steps.append(step(f"+ {len(used)} extra view(s) per photo (mirror first)", labels,
                          logistic(pooled, labels, (np.concatenate(pooled_views), view_y)),
                          time.perf_counter() - t0,
                          "augmentation on frozen features (a probe: the head below uses "
                          "them)"))
    train_y = np.concatenate([y_train, view_y])
    head_history = train.fit_top(
        vit_model.head, np.concatenate([pooled["train"], *pooled_views]), train_y,
        (pooled["validation"], labels["validation"]), n_classes, config,
        epochs=config.head_epochs, learning_rate=config.head_learning_rate)
    steps.append(step("+ Keras linear head (AdamW, label smoothing)", labels,
                      {k: train.top_probabilities(vit_model.head, pooled[k]) for k in pooled},
                      head_history["seconds"], "warm start for the fine-tuning"))
    train.unfreeze_blocks(vit_model.top)
    epochs = config.vit_epochs * (2 if fine_tune else 1)
    taught = teacher[:1 + len(used)].reshape(-1, n_classes)
    history = train.fit_top(
        vit_model.top, np.concatenate([tokens[index["train"]], *view_tokens]), train_y,
        (tokens[index["validation"]], labels["validation"]), n_classes, config,
        teacher=taught, epochs=epochs)
    del view_tokens
    heads = {k: train.head_probabilities(vit_model.top, tokens[v]) for k, v in index.items()}
    for key, name, what in (
        ("label", f"blocks {CUT}-11 fine-tuned on cached tokens: class head alone",
         "measured alone (trained jointly with the distillation head)"),
        ("teacher", "distillation head alone (EfficientNet soft targets)",
         "measured alone: DeiT's token"),
        ("average", f"+ blocks {CUT}-11 fine-tuned with DeiT distillation: both heads "
         "averaged", "the exported model"),
    ):
        steps.append(step(name, labels, {k: heads[k][key] for k in heads},
                          history["seconds"] if key == "average" else 0.0, what,
                          kept=key == "average"))
    probabilities = {k: heads[k]["average"] for k in heads}
    t0 = time.perf_counter()
    flipped_tokens = trunk_tokens(session, mirrored_eval(pixels, index),
                                  "vit trunk (mirrored evaluation)")
    flipped = split_back(train.top_probabilities(vit_model.top, flipped_tokens), index)
    probabilities, tta = tta_step(steps, labels, probabilities, flipped, t0)
    result = entry(time.perf_counter() - started, [head_history, history], probabilities,
                   labels, class_names)
    result["mirror_tta"] = tta
    result["training_views"] = 1 + len(used)
    return vit_model, steps, result
