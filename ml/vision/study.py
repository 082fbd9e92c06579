"""``python -m ml.vision study``: what the review's ViT tricks buy on small data, measured.

Four small ViTs (:mod:`ml.vision.small_vit`) are trained from scratch on the saved split's
training photos, everything else equal (seed, epochs, views, schedule, size):

1. ``plain``: patch embedding + transformer;
2. ``spt_lsa``: Shifted Patch Tokenization + Locality Self-Attention (Lee et al., 2021);
3. ``spt_lsa_deit``: the same with DeiT's distillation token, taught by the trained
   EfficientNet (the exported ``efficientnet.onnx``, hard labels as in DeiT);
4. ``sam``: the *plain* ViT trained with SAM (Chen et al., 2022). SAM goes on the plain
   ViT, as in Chen et al., whose claim is that SAM alone lets a plain ViT train without
   pretraining: this isolates its effect against ``plain`` (one switch differs), where
   SAM on top of SPT + LSA would mix two effects.

Augmentation is a bank of views made once (the photo, its mirror, and random views from
the pipeline's Keras augmentation layers: mirror, zoom, small rotation, contrast, erasing),
so that the teacher labels each exact view the students see and every variant draws the
same views in the same order. The results, with a conclusion
derived from the figures, go under ``"study"`` in ``report.json``.
"""

from __future__ import annotations

import json
import platform
import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import keras  # noqa: E402
import numpy as np
from PIL import Image

import ml.vision  # noqa: F401  (sets KERAS_BACKEND before keras is imported)
from ml.serving.vision import REPORT_NAME, create_session, load_metadata  # noqa: E402
from ml.vision.augment import augment_batch, augmenter  # noqa: E402
from ml.vision.data import load_catalogue, load_pixels, load_split  # noqa: E402
from ml.vision.metrics import accuracy, macro_auc  # noqa: E402
from ml.vision.small_vit import SmallViTConfig, build_small_vit, probabilities  # noqa: E402
from ml.vision.study_conclusion import compare, conclusion  # noqa: E402
from ml.vision.study_train import StudyTraining, train_variant  # noqa: E402

#: id → switches. The order is the order of the report and the page.
VARIANTS: dict[str, dict[str, bool]] = {
    "plain": {"spt": False, "lsa": False, "distillation": False, "sam": False},
    "spt_lsa": {"spt": True, "lsa": True, "distillation": False, "sam": False},
    "spt_lsa_deit": {"spt": True, "lsa": True, "distillation": True, "sam": False},
    "sam": {"spt": False, "lsa": False, "distillation": False, "sam": True},
}
#: What each comparison isolates: (trick, variant with it, variant without it).
COMPARISONS = (("spt_lsa", "spt_lsa", "plain"), ("distillation", "spt_lsa_deit", "spt_lsa"),
               ("sam", "sam", "plain"))
N_VIEWS = 6


class StudyError(RuntimeError):
    """The study cannot run: no trained EfficientNet (the teacher) or no saved split."""


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def shrink(photo: Image.Image, size: int) -> np.ndarray:
    """A 224 px model input shrunk to the small ViT's size (float32 0..255)."""
    return np.asarray(photo.resize((size, size), Image.Resampling.LANCZOS), dtype=np.float32)


def make_views(pixels: np.ndarray, size: int, teacher, n_views: int = N_VIEWS,
               seed: int = 42) -> tuple[np.ndarray, np.ndarray]:
    """``(N, V, size, size, 3)`` views of each photo and the teacher's class for each.

    View 0 is the photo, view 1 its mirror, the others random views from
    :func:`ml.vision.augment.augmenter`. The teacher (an onnxruntime session of the
    EfficientNet) sees each view at full size.
    """
    from tqdm import tqdm

    keras.utils.set_random_seed(seed)
    augment = augmenter(seed)
    small = np.empty((len(pixels), n_views, size, size, 3), dtype=np.float32)
    taught = np.empty((len(pixels), n_views), dtype=np.int64)
    for start in tqdm(range(0, len(pixels), 16), desc="study views (+ teacher)",
                      unit="batch", file=sys.stderr):
        batch = pixels[start:start + 16]
        views = [batch, np.ascontiguousarray(batch[:, :, ::-1])]
        views += [augment_batch(augment, batch) for _ in range(n_views - 2)]
        for k, view in enumerate(views):
            taught[start:start + len(batch), k] = teacher.run(
                ["probabilities"], {"image": view})[0].argmax(1)
            small[start:start + len(batch), k] = np.stack(
                [shrink(Image.fromarray(p.astype(np.uint8)), size) for p in view])
    return small, taught


def _evaluate(model: keras.Model, images: dict[str, np.ndarray], labels: dict[str, np.ndarray]
              ) -> tuple[dict, dict[str, np.ndarray]]:
    outputs = {k: probabilities(model, images[k]) for k in images}
    scores = {k: {"accuracy": round(accuracy(labels[k], outputs[k]), 4),
                  "macro_auc": _round(macro_auc(labels[k], outputs[k]))}
              for k in ("validation", "test")}
    scores["train_accuracy"] = round(accuracy(labels["train"], outputs["train"]), 4)
    return scores, outputs


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def run_study(data_dir: Path, out_dir: Path, model: SmallViTConfig | None = None,
              training: StudyTraining | None = None, limit: int | None = None,
              variants: Sequence[str] = tuple(VARIANTS), n_views: int = N_VIEWS,
              command: str = "python -m ml.vision study") -> dict:
    """Train the variants, write ``report["study"]`` into ``out_dir``, return the study.

    ``out_dir`` must hold a trained set (``split.json``, ``efficientnet.onnx``,
    ``report.json``): the study uses its split and its EfficientNet as the teacher.
    ``limit`` keeps that many training photos per class (tests use tiny subsets).
    """
    model = model or SmallViTConfig()
    training = training or StudyTraining()
    out_dir = Path(out_dir)
    try:
        metadata = load_metadata(out_dir)
        split = load_split(out_dir / "split.json")
    except Exception as error:
        raise StudyError(f"no trained models in {out_dir}: run python -m ml.vision prepare "
                         f"first ({error})") from error
    started = time.perf_counter()
    catalogue = load_catalogue(data_dir).set_index("image")
    class_names = list(metadata["labels"])
    images, labels, pixels = {}, {}, {}
    for subset, names in split.items():
        chosen = catalogue.loc[[n for n in names if n in catalogue.index]]
        if limit:
            chosen = chosen.groupby("label", group_keys=False).head(limit)
        pixels[subset] = load_pixels(chosen["path"].tolist())
        labels[subset] = chosen["label"].map(class_names.index).to_numpy(dtype=np.int64)
        images[subset] = np.stack([shrink(Image.fromarray(p.astype(np.uint8)),
                                          model.image_size) for p in pixels[subset]])
    teacher = create_session(out_dir / metadata["models"]["efficientnet"]["file"])
    views, taught = make_views(pixels["train"], model.image_size, teacher, n_views,
                               training.seed)
    teacher_accuracy = float(np.mean(taught == labels["train"][:, None]))
    results, outputs = {}, {}
    for variant in variants:
        switches = VARIANTS[variant]
        keras.utils.set_random_seed(training.seed)
        network = build_small_vit(len(class_names), model, spt=switches["spt"],
                                  lsa=switches["lsa"], distillation=switches["distillation"])
        _log(f"study: {variant} ({network.count_params()} parameters)")
        history = train_variant(network, views, labels["train"], taught,
                                (images["validation"], labels["validation"]), training,
                                sam=switches["sam"], name=variant)
        scores, outputs[variant] = _evaluate(network, images, labels)
        results[variant] = {
            **switches, "parameters": int(network.count_params()),
            "train_seconds": history["seconds"], "train_cpu_seconds": history["cpu_seconds"],
            "gradient_evaluations": history["gradient_evaluations"], **scores,
            "generalisation_gap": round(scores["train_accuracy"]
                                        - scores["validation"]["accuracy"], 4),
            "curves": history["curves"]}
    comparisons = [compare(trick, with_it, without, labels, outputs)
                   for trick, with_it, without in COMPARISONS
                   if with_it in outputs and without in outputs]
    report_path = out_dir / REPORT_NAME
    report = json.loads(report_path.read_text()) if report_path.is_file() else {}
    served = report.get("models", {}).get("vit", {}).get("test", {}).get("accuracy")
    study = {
        "created": datetime.now(UTC).isoformat(timespec="seconds"), "command": command,
        "machine": _machine(), "total_seconds": round(time.perf_counter() - started, 1),
        "photos": {k: int(len(v)) for k, v in labels.items()}, "views_per_photo": n_views,
        "model": model.as_dict(), "training": training.as_dict(),
        "teacher": {"model": "efficientnet", "file": metadata["models"]["efficientnet"]["file"],
                    "agreement_with_labels_on_views": round(teacher_accuracy, 4),
                    "distillation": "hard (the teacher's class), as DeiT's best setting"},
        "sam_applied_to": "plain",
        "sam_choice": {
            "en": "SAM is applied to the plain ViT, as in Chen et al. (2022): the comparison "
                  "with the plain ViT then isolates SAM (one switch differs).",
            "fr": "SAM est appliqué au ViT simple, comme chez Chen et al. (2022) : la "
                  "comparaison avec le ViT simple isole ainsi l'effet de SAM (un seul "
                  "changement)."},
        "variants": results, "comparisons": comparisons,
        "served_vit_test_accuracy": served,
    }
    study["conclusion"] = conclusion(study)
    report["study"] = study
    report_path.write_text(json.dumps(report, indent=1))
    return study


def _machine() -> dict:
    import os

    import torch

    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    return {"cpus": os.cpu_count(), "torch_threads": torch.get_num_threads(),
            "processor": platform.processor() or platform.machine(),
            "python": platform.python_version(), "keras": keras.__version__,
            "backend": keras.backend.backend(),
            "load_average_at_end": None if load is None else round(load, 2)}
