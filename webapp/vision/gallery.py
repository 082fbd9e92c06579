"""The gallery of test photos offered on the image page: a few photos of the saved test
split (never seen in training), spread over the list, served as small thumbnails, each with
its true category (read once from the Flipkart CSV, so the reader can check the models)."""

from __future__ import annotations

import csv
import io
import json
import logging
from pathlib import Path

from flask import Flask, abort, current_app

from ml import config as ml_config

log = logging.getLogger(__name__)

GALLERY_SIZE = 8
THUMBNAIL_SIDE = 160
_KEY = "pad_vision_gallery"
_LABELS_KEY = "pad_vision_gallery_labels"
CSV_NAME = "flipkart_com-ecommerce_sample_1050.csv"


def load_gallery(vision_artifacts: Path, size: int = GALLERY_SIZE) -> list[str]:
    """File names of ``size`` test photos from ``split.json`` (empty when there is none)."""
    try:
        names = list(json.loads((vision_artifacts / "split.json").read_text())["test"])
    except (OSError, ValueError, KeyError) as exc:  # no gallery, the upload still works
        log.warning("no gallery of test photos: %s", exc)
        return []
    step = max(1, len(names) // size)  # spread over the list, not its first few
    return names[::step][:size]


def top_category(tree: str) -> str:
    """The first level of a ``product_category_tree`` (as ``ml.vision.data.category_of``,
    which the training uses; this module stays free of pandas and scikit-learn)."""
    text = str(tree).strip().lstrip("[").lstrip('"').strip()
    return text.split(">>")[0].strip().strip('"]').strip()


def load_true_labels(data_dir: Path) -> dict[str, str]:
    """Photo file name -> its dataset category, from the Flipkart CSV (empty without it)."""
    try:
        with (Path(data_dir) / CSV_NAME).open(newline="", encoding="utf-8") as handle:
            return {row["image"]: top_category(row["product_category_tree"])
                    for row in csv.DictReader(handle)
                    if row.get("image") and row.get("product_category_tree")}
    except (OSError, KeyError, csv.Error, UnicodeDecodeError) as exc:
        log.warning("no true categories for the gallery: %s", exc)
        return {}


def init_gallery(app: Flask) -> None:
    """Read the gallery and the photos' true categories once, beside the vision models."""
    configured = app.config.get("PAD_ARTIFACTS_DIR")
    root = Path(configured) if configured else ml_config.artifacts_dir()
    app.extensions[_KEY] = load_gallery(ml_config.vision_artifacts_dir(root))
    app.extensions[_LABELS_KEY] = load_true_labels(ml_config.vision_data_dir())


def gallery_names() -> list[str]:
    """The gallery of the current app."""
    return list(current_app.extensions.get(_KEY, []))[:GALLERY_SIZE]


def gallery_items() -> list[tuple[str, str | None]]:
    """The gallery as ``(file name, true dataset category or None)``."""
    labels = current_app.extensions.get(_LABELS_KEY, {})
    return [(name, labels.get(name)) for name in gallery_names()]


def set_gallery(app: Flask, names: list[str]) -> None:
    """Replace the gallery (tests that install stand-in models)."""
    app.extensions[_KEY] = list(names)


def gallery_path(name: str) -> Path:
    """The photo file of a gallery name; 404 for any name not in the gallery list."""
    if name not in gallery_names():  # an allow-list: no path from the request reaches the disk
        abort(404)
    path = ml_config.vision_data_dir() / "images" / name
    if not path.is_file():
        abort(404)
    return path


def thumbnail(path: Path, side: int = THUMBNAIL_SIDE) -> io.BytesIO:
    """A JPEG thumbnail of a gallery photo."""
    from PIL import Image

    with Image.open(path) as image:
        image.thumbnail((side, side))
        buffer = io.BytesIO()
        image.convert("RGB").save(buffer, "JPEG", quality=80)
    buffer.seek(0)
    return buffer
