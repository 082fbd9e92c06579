"""``evaluate``: run the exported ONNX models on a folder of labelled photos.

It measures what the app serves: the models are loaded by the web app's own loader
(:func:`~ml.serving.vision.load_vision_models`), with the int8 ViT by default
(``variant="fp32"`` for the float file). Only onnxruntime, numpy, Pillow and scikit-learn
are used, as in the web process.
"""

from __future__ import annotations

import csv
import time
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from ml.serving.vision import load_vision_models, preprocess_image
from ml.vision.metrics import accuracy, macro_auc

VARIANTS = ("int8", "fp32")


class EvaluationError(ValueError):
    """A photo cannot be read, a label is unknown, or the CSV is malformed."""


def read_labels(csv_path: Path, known: list[str]) -> list[tuple[str, int]]:
    """``(image, class index)`` rows of a CSV with columns ``image,label``."""
    try:
        with open(csv_path, newline="", encoding="utf-8") as handle:
            rows = list(csv.DictReader(handle))
    except OSError as error:
        raise EvaluationError(f"cannot read {csv_path}: {error}") from error
    if not rows:
        raise EvaluationError(f"{csv_path} lists no photos")
    if not {"image", "label"} <= set(rows[0]):
        raise EvaluationError(f"{csv_path} needs the columns image,label")
    index = {name: k for k, name in enumerate(known)}
    parsed = []
    for line, row in enumerate(rows, start=2):
        label = (row["label"] or "").strip()
        if label not in index:
            raise EvaluationError(f"{csv_path}:{line}: unknown label {label!r} "
                                  f"(known: {', '.join(known)})")
        parsed.append(((row["image"] or "").strip(), index[label]))
    return parsed


def read_images(directory: Path, names: list[str]) -> np.ndarray:
    """Preprocessed photos; raises :class:`EvaluationError` on a missing or bad file."""
    batch = []
    for name in names:
        path = Path(directory) / name
        try:
            with Image.open(path) as image:
                image.load()
                batch.append(preprocess_image(image))
        except (OSError, UnidentifiedImageError) as error:
            raise EvaluationError(f"cannot read photo {path}: {error}") from error
    return np.stack(batch)


def served_models(metadata: dict, variant: str) -> list[dict]:
    """Each model as ``variant`` serves it: name, ONNX file, ``int8`` or ``fp32``."""
    served = []
    for name, spec in metadata["models"].items():
        int8 = variant == "int8" and "int8_file" in spec
        served.append({"name": name, "file": spec["int8_file"] if int8 else spec["file"],
                       "variant": "int8" if int8 else "fp32",
                       "architecture": spec.get("architecture", name)})
    return served


def evaluate(images_dir: Path, labels_csv: Path, model_dir: Path, batch_size: int = 16,
             variant: str = "int8") -> dict:
    """Accuracy, macro AUC and ms per photo for every served model.

    ``variant="int8"`` (the default) loads the models as the web app does (the int8 ViT
    where training kept one); ``"fp32"`` the float files. The result lists the files
    evaluated under ``"served_models"``.
    """
    if variant not in VARIANTS:
        raise EvaluationError(f"unknown variant {variant!r} (known: {', '.join(VARIANTS)})")
    models = load_vision_models(model_dir, quantized=variant == "int8")
    rows = read_labels(labels_csv, models.labels)
    pixels = read_images(images_dir, [name for name, _ in rows])
    truth = np.array([label for _, label in rows])
    results = {}
    for name, session in models.sessions.items():
        session.run(["probabilities"], {"image": pixels[:1]})
        started = time.perf_counter()
        probabilities = np.concatenate([
            session.run(["probabilities"], {"image": pixels[i:i + batch_size]})[0]
            for i in range(0, len(pixels), batch_size)
        ])
        elapsed = time.perf_counter() - started
        results[name] = {
            "accuracy": accuracy(truth, probabilities),
            "macro_auc": macro_auc(truth, probabilities),
            "ms_per_image": 1000.0 * elapsed / len(pixels),
        }
    return {"n_images": int(len(pixels)), "models": results, "variant": variant,
            "served_models": served_models(models.metadata, variant)}
