"""``evaluate``: run the exported ONNX models on a folder of labelled photos.

Only onnxruntime, numpy, Pillow and scikit-learn are used, as in the web process.
"""

from __future__ import annotations

import csv
import time
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from ml.serving.vision import create_session, load_metadata, preprocess_image
from ml.vision.metrics import accuracy, macro_auc


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


def evaluate(images_dir: Path, labels_csv: Path, model_dir: Path, batch_size: int = 16
             ) -> dict:
    """Accuracy, macro AUC and ms per photo for every exported model."""
    metadata = load_metadata(model_dir)
    rows = read_labels(labels_csv, metadata["labels"])
    pixels = read_images(images_dir, [name for name, _ in rows])
    truth = np.array([label for _, label in rows])
    results = {}
    for name, spec in metadata["models"].items():
        session = create_session(Path(model_dir) / spec["file"])
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
    return {"n_images": int(len(pixels)), "models": results}
