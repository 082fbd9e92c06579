"""Photo augmentation with Keras 3's own layers (keras-cv's successors, backend-agnostic).

keras-cv 0.9 cannot be imported without TensorFlow, even on the torch backend; Keras 3
itself now carries ``RandAugment``, ``MixUp``, ``CutMix``, ``RandomErasing``... Since the
trunks are frozen, augmented photos are pushed through them once and cached as extra
training views, next to the mirror views (the small-ViT study draws its views here too).
"""

from __future__ import annotations

import warnings

import keras  # noqa: E402
import numpy as np
from keras import layers  # noqa: E402

import ml.vision  # noqa: F401  (sets KERAS_BACKEND before keras is imported)
from ml.vision.train import to_numpy  # noqa: E402


def augmenter(seed: int = 42) -> keras.Sequential:
    """Mirror, small zoom / rotation on a white fill, contrast, random erasing (0..255).

    ``RandAugment(value_range=(0, 255))`` was tried first: on these white-background product
    photos its solarize / posterize operations turned most backgrounds black, so the
    geometric and photometric layers are used one by one instead.
    """
    return keras.Sequential([
        layers.RandomFlip("horizontal", seed=seed),
        layers.RandomZoom((-0.2, 0.1), fill_mode="constant", fill_value=255.0, seed=seed),
        layers.RandomRotation(0.04, fill_mode="constant", fill_value=255.0, seed=seed),
        layers.RandomContrast(0.2, value_range=(0, 255), seed=seed),
        layers.RandomErasing(factor=0.5, scale=(0.02, 0.1), value_range=(0, 255), seed=seed),
    ], name="augment")


def augment_batch(model: keras.Sequential, images: np.ndarray) -> np.ndarray:
    """One random draw of ``model`` (an :func:`augmenter`) on a batch (float32, 0..255)."""
    with warnings.catch_warnings():
        # Keras' augmentation layers call ``.T`` on a 0-d tensor; torch warns, harmlessly.
        warnings.filterwarnings("ignore", message=".*Tensor.T is deprecated.*")
        views = to_numpy(model(images, training=True))
    return np.clip(views, 0.0, 255.0).astype(np.float32)


def augmented_views(pixels: np.ndarray, seed: int = 42, batch_size: int = 32) -> np.ndarray:
    """One randomly augmented copy of each photo (float32, 0..255, same shape)."""
    keras.utils.set_random_seed(seed)
    model = augmenter(seed)
    return np.concatenate([augment_batch(model, pixels[i:i + batch_size])
                           for i in range(0, len(pixels), batch_size)])
