"""Catalogue, labels, the seeded split, and preprocessing shared by training and serving."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from ml.serving.vision import IMAGE_SIZE, preprocess_image
from ml.vision.data import (
    category_of,
    load_catalogue,
    load_pixels,
    load_split,
    save_split,
    stratified_split,
)


@pytest.fixture(scope="module")
def catalogue(vision_data_dir):
    return load_catalogue(vision_data_dir)


def test_label_is_first_element_of_category_tree():
    tree = '["Home Furnishing >> Curtains & Accessories >> Curtains >> Elegance"]'
    assert category_of(tree) == "Home Furnishing"
    assert category_of('["Watches >> Wrist Watches"]') == "Watches"


def test_catalogue_skips_rows_without_a_photo(catalogue, vision_data_dir):
    assert len(catalogue) == len(list((vision_data_dir / "images").glob("*.jpg")))
    assert catalogue["label"].nunique() == 7
    assert all(path.endswith(name) for path, name in zip(catalogue["path"],
                                                         catalogue["image"], strict=True))


def test_split_is_deterministic_disjoint_and_stratified(catalogue, tmp_path):
    first = stratified_split(catalogue, seed=42)
    again = stratified_split(catalogue.sample(frac=1.0, random_state=0), seed=42)
    assert first == again  # the CSV's row order does not matter, the seed does
    assert stratified_split(catalogue, seed=7) != first
    names = [set(first[k]) for k in ("train", "validation", "test")]
    assert not (names[0] & names[1] or names[0] & names[2] or names[1] & names[2])
    assert sum(map(len, names)) == len(catalogue)
    test_labels = catalogue.set_index("image").loc[first["test"], "label"]
    assert test_labels.value_counts().min() >= 19  # ~15 % of each class of 133-135
    save_split(first, tmp_path / "split.json", seed=42)
    assert load_split(tmp_path / "split.json") == first


def test_training_and_serving_preprocess_identically(catalogue):
    paths = catalogue["path"].tolist()[:3]
    training = load_pixels(paths)
    for path, pixels in zip(paths, training, strict=True):
        with Image.open(path) as image:
            np.testing.assert_array_equal(preprocess_image(image), pixels)
    assert training.shape == (3, IMAGE_SIZE, IMAGE_SIZE, 3)
    assert training.dtype == np.float32


def test_preprocessing_pads_with_white_and_keeps_aspect_ratio():
    wide = Image.new("RGB", (400, 100), (0, 0, 0))
    pixels = preprocess_image(wide)
    assert pixels.shape == (IMAGE_SIZE, IMAGE_SIZE, 3)
    assert pixels[0, 0].tolist() == [255.0, 255.0, 255.0]  # padding above the photo
    assert pixels[IMAGE_SIZE // 2, IMAGE_SIZE // 2].tolist() == [0.0, 0.0, 0.0]
    grey = preprocess_image(Image.new("L", (50, 50), 100))  # any mode becomes RGB
    assert grey.shape == (IMAGE_SIZE, IMAGE_SIZE, 3)
