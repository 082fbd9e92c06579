"""The Flipkart photos: catalogue, labels, a seeded stratified split and image loading.

The CSV lists 1050 products; only the photos present on disk are used (942 in the shared
copy). The label is the first element of ``product_category_tree``. The split is saved as
``split.json`` next to the artifacts so every later evaluation sees the same test photos.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
from PIL import Image
from sklearn.model_selection import train_test_split

from ml.serving.vision import preprocess_image

CSV_NAME = "flipkart_com-ecommerce_sample_1050.csv"
SUBSETS = ("train", "validation", "test")


def category_of(tree: str) -> str:
    """The top-level category of a ``product_category_tree`` value.

    ``'["Home Furnishing >> Curtains & Accessories >> ..."]'`` gives ``'Home Furnishing'``.
    """
    text = str(tree).strip().lstrip("[").lstrip('"').strip()
    return text.split(">>")[0].strip().strip('"]').strip()


def load_catalogue(data_dir: Path) -> pd.DataFrame:
    """One row per photo present on disk: ``image`` (file name), ``label``, ``path``.

    Rows whose photo is absent are skipped, as the data's SOURCE.md requires. Sorted by
    file name so that the order (hence the split) does not depend on the CSV's order.
    """
    data_dir = Path(data_dir)
    csv_path = data_dir / CSV_NAME
    if not csv_path.is_file():
        raise FileNotFoundError(f"no Flipkart CSV at {csv_path}")
    table = pd.read_csv(csv_path, usecols=["image", "product_category_tree"])
    table["label"] = table["product_category_tree"].map(category_of)
    table["path"] = [str(data_dir / "images" / name) for name in table["image"]]
    present = table[[Path(p).is_file() for p in table["path"]]]
    return present[["image", "label", "path"]].sort_values("image").reset_index(drop=True)


def stratified_split(
    catalogue: pd.DataFrame, seed: int = 42, validation: float = 0.15, test: float = 0.15
) -> dict[str, list[str]]:
    """File names per subset (train / validation / test), stratified by label, seeded.

    The catalogue is sorted by file name first, so only the seed decides the split.
    """
    catalogue = catalogue.sort_values("image")
    names = catalogue["image"].to_numpy()
    labels = catalogue["label"].to_numpy()
    rest, test_names, rest_labels, _ = train_test_split(
        names, labels, test_size=test, stratify=labels, random_state=seed
    )
    train_names, val_names = train_test_split(
        rest,
        test_size=validation / (1.0 - test),
        stratify=rest_labels,
        random_state=seed,
    )
    return {
        "train": sorted(train_names.tolist()),
        "validation": sorted(val_names.tolist()),
        "test": sorted(test_names.tolist()),
    }


def save_split(split: dict[str, list[str]], path: Path, seed: int) -> None:
    """Write the split (and the seed that made it) as JSON."""
    Path(path).write_text(json.dumps({"seed": seed, **split}, indent=1))


def load_split(path: Path) -> dict[str, list[str]]:
    """Read a split written by :func:`save_split`."""
    content = json.loads(Path(path).read_text())
    return {name: list(content[name]) for name in SUBSETS}


def load_pixels(paths: list[str] | np.ndarray) -> np.ndarray:
    """Decode and preprocess photos into a ``(N, 224, 224, 3)`` float32 batch (0..255)."""
    batch = []
    for path in paths:
        with Image.open(path) as image:
            batch.append(preprocess_image(image))
    return np.stack(batch)
