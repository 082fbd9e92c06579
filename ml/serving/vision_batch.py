"""Evaluate the served image models on an uploaded ZIP of labelled photos (a pure service).

The web layer runs :func:`evaluate_archive` as a job: no Flask, no Keras, only the
onnxruntime sessions the app already holds (:class:`~ml.serving.vision.VisionModels`).
For each model: accuracy, macro AUC (one-vs-rest), confusion matrix, per-class precision
and recall; then the photos at least one model got wrong, with both predictions and a
small JPEG thumbnail of what the models saw (:func:`contact_sheet` lays them out in one
image). Refusals are :class:`~ml.serving.vision_archive.ArchiveError` (``code`` and
``params``).
"""

from __future__ import annotations

import base64
import io
from collections.abc import Callable, Mapping
from typing import BinaryIO

import numpy as np
from PIL import Image, ImageDraw

from ml.serving.vision import VisionModels, preprocess_image
from ml.serving.vision_archive import (
    DEFAULT_LIMITS,
    ArchiveError,
    ArchiveLimits,
    iter_photos,
    list_photos,
    open_archive,
)
from ml.vision.metrics import classification_report

THUMBNAIL_SIDE = 96
#: Photos per forward pass. 8 keeps 0.97× the speed of 16 for about half the worker's peak
#: memory (0.96 GB against 1.73 GB: ``bench/vision_eval_memory.py``).
BATCH_SIZE = 8

Progress = Callable[[int, int], None]

__all__ = ["ArchiveError", "ArchiveLimits", "contact_sheet", "evaluate_archive", "json_ready",
           "thumbnail_jpeg"]


def thumbnail_jpeg(pixels: np.ndarray, side: int = THUMBNAIL_SIDE) -> bytes:
    """A model input (224 px white square, float 0..255) as a small JPEG."""
    image = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))
    buffer = io.BytesIO()
    image.resize((side, side), Image.Resampling.LANCZOS).save(buffer, "JPEG", quality=85)
    return buffer.getvalue()


def _classify(models: VisionModels, pixels: np.ndarray) -> dict[str, np.ndarray]:
    return {name: session.run(["probabilities"], {"image": pixels})[0]
            for name, session in models.sessions.items()}


def evaluate_archive(source: bytes | BinaryIO, models: VisionModels,
                     progress: Progress | None = None,
                     limits: ArchiveLimits = DEFAULT_LIMITS,
                     aliases: Mapping[str, str] | None = None) -> dict:
    """Check, read and evaluate a ZIP of labelled photos with every served model.

    ``progress(done, total)`` is called after each batch of photos (``total`` photos in
    all, known once the archive's directory is checked: a first call ``(0, total)``).
    ``aliases`` maps other names of the categories (the French ones) to the dataset's.
    Returns a dict (thumbnails as JPEG bytes; :func:`json_ready` encodes them)::

        {"n_photos", "layout": "folders"|"csv", "ignored": [names], "labels": [...],
         "class_counts": {label: n},
         "models": {name: {"accuracy", "macro_auc", "confusion_matrix", "per_class",
                           "n_images"}},
         "misclassified": [{"name", "label", "predictions": {model: {"label",
                            "probability"}}, "wrong": [models], "thumbnail": bytes}]}

    Raises :class:`ArchiveError` for a refused archive (nothing is evaluated then).
    """
    archive = open_archive(source, limits)
    with archive:
        contents = list_photos(archive, models.labels, aliases, limits)
        total = len(contents.entries)
        if progress:
            progress(0, total)
        truth = np.array([models.labels.index(e.label) for e in contents.entries])
        outputs: dict[str, list[np.ndarray]] = {name: [] for name in models.sessions}
        wrong_thumbnails: dict[int, bytes] = {}
        done = 0
        batch: list[np.ndarray] = []
        for _, image in iter_photos(archive, contents, limits):
            batch.append(preprocess_image(image))
            image.close()
            if len(batch) == BATCH_SIZE or done + len(batch) == total:
                pixels = np.stack(batch)
                for name, probabilities in _classify(models, pixels).items():
                    outputs[name].append(probabilities)
                for offset in range(len(batch)):
                    index = done + offset
                    if any(outputs[n][-1][offset].argmax() != truth[index] for n in outputs):
                        wrong_thumbnails[index] = thumbnail_jpeg(pixels[offset])
                done += len(batch)
                batch = []
                if progress:
                    progress(done, total)
    probabilities = {name: np.concatenate(chunks) for name, chunks in outputs.items()}
    return _result(models, contents, truth, probabilities, wrong_thumbnails)


def _result(models: VisionModels, contents, truth: np.ndarray,
            probabilities: dict[str, np.ndarray], thumbnails: dict[int, bytes]) -> dict:
    labels = models.labels
    reports = {name: classification_report(truth, values, labels)
               for name, values in probabilities.items()}
    misclassified = []
    for index in sorted(thumbnails):
        predictions = {name: {"label": labels[int(values[index].argmax())],
                              "probability": float(values[index].max())}
                       for name, values in probabilities.items()}
        misclassified.append({
            "name": contents.entries[index].name, "label": labels[int(truth[index])],
            "predictions": predictions,
            "wrong": [n for n, p in predictions.items() if p["label"] != labels[truth[index]]],
            "thumbnail": thumbnails[index]})
    counts = np.bincount(truth, minlength=len(labels))
    return {"n_photos": int(len(truth)), "layout": contents.layout,
            "ignored": list(contents.ignored), "labels": list(labels),
            "class_counts": {label: int(counts[k]) for k, label in enumerate(labels)},
            "models": reports, "misclassified": misclassified}


def json_ready(result: dict) -> dict:
    """The result with each thumbnail as a ``data:image/jpeg;base64,...`` string."""
    ready = dict(result)
    ready["misclassified"] = [
        {**item, "thumbnail": "data:image/jpeg;base64,"
         + base64.b64encode(item["thumbnail"]).decode("ascii")}
        for item in result["misclassified"]]
    return ready


def contact_sheet(result: dict, columns: int = 8, side: int = THUMBNAIL_SIDE) -> bytes | None:
    """The misclassified photos in one JPEG grid, numbered in the result's order.

    ``None`` when no photo was misclassified. Number ``k`` (from 1) is
    ``result["misclassified"][k - 1]``: the page gives names and predictions beside it.
    """
    items = result["misclassified"]
    if not items:
        return None
    rows = -(-len(items) // columns)
    sheet = Image.new("RGB", (columns * side, rows * side), (255, 255, 255))
    draw = ImageDraw.Draw(sheet)
    for number, item in enumerate(items, start=1):
        row, col = divmod(number - 1, columns)
        with Image.open(io.BytesIO(item["thumbnail"])) as thumb:
            sheet.paste(thumb.convert("RGB"), (col * side, row * side))
        x, y = col * side + 2, row * side + 2
        draw.rectangle((x, y, x + 22, y + 12), fill=(0, 0, 0))
        draw.text((x + 2, y), str(number), fill=(255, 255, 255))
    buffer = io.BytesIO()
    sheet.save(buffer, "JPEG", quality=85)
    return buffer.getvalue()
