"""Benchmark: how far the EfficientNet-Lite0 goes on these photos, beyond the pipeline's steps.

Two measurements that the accuracy target (0.90 on the test split) was checked against:

1. ``features``: frozen pooled features, logistic regression, 5-fold cross-validation on all
   the photos, for several inputs (the pipeline's 224 px white square; 288 px; the product
   cropped to its non-white bounding box first). Cross-validation over ~940 photos is a
   steadier estimate than the 142 test photos.
2. ``finetune``: the whole network fine-tuned end to end (batch norm kept in inference mode),
   with fresh Keras augmentation at every epoch, on the pipeline's train split, reporting the
   validation and test accuracy (with and without mirror test-time augmentation). The
   baseline it is compared with is printed in the same run: the linear head on frozen
   features, trained on the same split.

    python bench/vision_ceiling.py features [--sizes 224 288]
    python bench/vision_ceiling.py finetune [--epochs 8] [--learning-rate 2e-4]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("KERAS_BACKEND", "torch")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ml.config import vision_data_dir  # noqa: E402
from ml.serving.vision import preprocess_image  # noqa: E402
from ml.vision.data import load_catalogue, load_pixels, stratified_split  # noqa: E402
from ml.vision.metrics import accuracy  # noqa: E402


def crop_to_product(image, threshold: int = 12, margin: float = 0.04):
    """The photo cropped to the bounding box of its non-white pixels (plus a margin)."""
    rgb = image.convert("RGB")
    pixels = np.asarray(rgb).astype(np.int16)
    rows, cols = np.nonzero(np.abs(pixels - 255).max(axis=2) > threshold)
    if len(cols) < 50:
        return rgb
    pad = int(margin * max(cols.max() - cols.min(), rows.max() - rows.min()))
    return rgb.crop((max(0, cols.min() - pad), max(0, rows.min() - pad),
                     min(rgb.width, cols.max() + 1 + pad), min(rgb.height, rows.max() + 1 + pad)))


def pooled_features(paths: list[str], size: int, crop: bool) -> np.ndarray:
    """Frozen EfficientNet-Lite0 pooled features (1280) of each photo at ``size`` px."""
    import keras
    from keras import layers
    from PIL import Image
    from tqdm import tqdm

    from ml.vision import efficientnet
    from ml.vision.train import predict_batches

    trunk, top = efficientnet.build_backbone(size)
    efficientnet.load_imagenet_weights([trunk, top], efficientnet.torch_state_dict())
    pooled = layers.GlobalAveragePooling2D(data_format=efficientnet.FORMAT)(top(trunk.output))
    model = keras.Model(trunk.input, pooled)
    batch = []
    for path in tqdm(paths, desc=f"photos at {size} px{' (cropped)' if crop else ''}",
                     file=sys.stderr):
        with Image.open(path) as image:
            batch.append(preprocess_image(crop_to_product(image) if crop else image, size))
    return predict_batches(model, np.stack(batch), 16)


def features(sizes: list[int]) -> dict:
    """5-fold cross-validated accuracy of a logistic regression on frozen features."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_score
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    catalogue = load_catalogue(vision_data_dir())
    folds = StratifiedKFold(5, shuffle=True, random_state=0)
    results = {}
    for size in sizes:
        for crop in (False, True):
            x = pooled_features(catalogue["path"].tolist(), size, crop)
            model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=3000, C=0.005))
            scores = cross_val_score(model, x, catalogue["label"].to_numpy(), cv=folds)
            results[f"{size}px{'_cropped' if crop else ''}"] = {
                "cv_accuracy": round(float(scores.mean()), 4),
                "cv_std": round(float(scores.std()), 4)}
    return {"photos": len(catalogue), "frozen_lite0_logistic_5fold": results}


def finetune(epochs: int, learning_rate: float) -> dict:
    """Fine-tune the whole EfficientNet-Lite0 on the train split; baseline in the same run."""
    import keras
    from keras import layers

    from ml.vision import models, steps, train
    from ml.vision.augment import augmenter

    keras.utils.set_random_seed(42)
    catalogue = load_catalogue(vision_data_dir())
    names = sorted(catalogue["label"].unique())
    labels = catalogue["label"].map({n: i for i, n in enumerate(names)}).to_numpy()
    split = stratified_split(catalogue, seed=42)
    index = {k: np.flatnonzero(catalogue["image"].isin(v).to_numpy()) for k, v in split.items()}
    pixels = load_pixels(catalogue["path"].tolist())
    y = {k: labels[v] for k, v in index.items()}
    eff = models.efficientnet_classifier(len(names))
    started = time.perf_counter()
    train_views = np.concatenate([pixels[index["train"]], steps.mirror(pixels[index["train"]])])
    pooled = {k: train.predict_batches(eff.pooled, train.predict_batches(eff.trunk, v))
              for k, v in (("train", train_views), ("validation", pixels[index["validation"]]),
                           ("test", pixels[index["test"]]))}
    config = train.TopConfig(patience=1000)
    train.fit_top(eff.head, pooled["train"], np.tile(y["train"], 2),
                  (pooled["validation"], y["validation"]), len(names), config,
                  epochs=config.head_epochs, learning_rate=config.head_learning_rate)
    baseline = {k: accuracy(y[k], train.top_probabilities(eff.head, pooled[k]))
                for k in ("validation", "test")}
    head_seconds = time.perf_counter() - started

    image = keras.Input(pixels.shape[1:])
    trainable = keras.Model(image, eff.top(eff.trunk(augmenter(42)(image)))["label"])
    inference = keras.Model(image, eff.top(eff.trunk(image))["label"])
    for part in (eff.trunk, eff.top):
        for layer in part.layers:
            layer.trainable = not isinstance(layer, layers.BatchNormalization)
    steps_per_epoch = int(np.ceil(len(index["train"]) / config.batch_size))
    schedule = keras.optimizers.schedules.CosineDecay(learning_rate, epochs * steps_per_epoch)
    trainable.compile(optimizer=keras.optimizers.AdamW(schedule, weight_decay=0.05),
                      loss=keras.losses.CategoricalCrossentropy(from_logits=True,
                                                                label_smoothing=0.1))

    def probabilities(subset: str, mirrored: bool = False) -> np.ndarray:
        x = pixels[index[subset]]
        return train.softmax(train.predict_batches(inference, steps.mirror(x) if mirrored else x))

    curve: list[float] = []

    class _Validation(keras.callbacks.Callback):
        def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
            curve.append(round(accuracy(y["validation"], probabilities("validation")), 4))
            print(f"epoch {epoch + 1}/{epochs}: validation {curve[-1]}", file=sys.stderr)

    started = time.perf_counter()
    trainable.fit(pixels[index["train"]], keras.utils.to_categorical(y["train"], len(names)),
                  epochs=epochs, batch_size=config.batch_size, shuffle=True, verbose=0,
                  callbacks=[_Validation()])
    seconds = time.perf_counter() - started
    tuned = {}
    for subset in ("validation", "test"):
        plain, mirrored = probabilities(subset), probabilities(subset, mirrored=True)
        tuned[subset] = accuracy(y[subset], plain)
        tuned[f"{subset}_mirror_tta"] = accuracy(y[subset], (plain + mirrored) / 2)
    rounded = {k: round(v, 4) for k, v in tuned.items()}
    return {"split": {k: len(v) for k, v in index.items()},
            "baseline_frozen_head": {**{k: round(v, 4) for k, v in baseline.items()},
                                     "seconds": round(head_seconds, 1)},
            "full_finetune": {**rounded, "epochs": epochs, "learning_rate": learning_rate,
                              "validation_curve": curve, "seconds": round(seconds, 1),
                              "seconds_per_epoch": round(seconds / epochs, 1)},
            "test_gain_over_baseline": round(tuned["test"] - baseline["test"], 4)}


def main() -> None:
    """Print one JSON object with the figures of the chosen measurement."""
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="what", required=True)
    sub.add_parser("features").add_argument("--sizes", type=int, nargs="+", default=[224, 288])
    tune = sub.add_parser("finetune")
    tune.add_argument("--epochs", type=int, default=8)
    tune.add_argument("--learning-rate", type=float, default=2e-4)
    args = parser.parse_args()
    result = (features(args.sizes) if args.what == "features"
              else finetune(args.epochs, args.learning_rate))
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
