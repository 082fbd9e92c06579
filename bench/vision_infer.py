"""Benchmark: ONNX (onnxruntime) against Keras ``predict`` for both vision models.

Measured in the same run on the same test photos, one photo per call (as the web app
serves). Needs trained artifacts (``python -m ml.vision prepare``).

    python bench/vision_infer.py [--model DIR] [--photos N]
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("KERAS_BACKEND", "torch")

from ml.config import vision_artifacts_dir, vision_data_dir  # noqa: E402
from ml.serving.vision import create_session, load_metadata  # noqa: E402
from ml.vision.data import load_catalogue, load_pixels, load_split  # noqa: E402


def keras_model(name: str, directory: Path, n_classes: int, mirror_tta: bool):
    """Rebuild a trained Keras inference model (as exported) from its saved weights."""
    from ml.vision import models

    classifier = (models.vit_classifier(n_classes, distillation=True, load_weights=False)
                  if name == "vit" else
                  models.efficientnet_classifier(n_classes, load_weights=False))
    with np.load(directory / f"{name}.weights.npz") as saved:
        classifier.inference.set_weights([saved[f"arr_{i}"] for i in range(len(saved.files))])
    if mirror_tta:
        return models.with_mirror_tta(classifier.inference)
    return classifier.inference


def per_photo_ms(run, photos: np.ndarray) -> float:
    """Milliseconds per photo, one photo per call, after one warm-up call."""
    run(photos[:1])
    started = time.perf_counter()
    for photo in photos:
        run(photo[None])
    return 1000.0 * (time.perf_counter() - started) / len(photos)


def main() -> None:
    """Print one JSON object with ms per photo, ONNX vs Keras, and their ratio."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", type=Path, default=vision_artifacts_dir())
    parser.add_argument("--photos", type=int, default=16)
    args = parser.parse_args()
    metadata = load_metadata(args.model)
    catalogue = load_catalogue(vision_data_dir()).set_index("image")
    test = load_split(args.model / "split.json")["test"][: args.photos]
    photos = load_pixels(catalogue.loc[test, "path"].tolist())
    figures = {}
    for name, spec in metadata["models"].items():
        session = create_session(args.model / spec["file"])
        model = keras_model(name, args.model, len(metadata["labels"]),
                            bool(spec.get("mirror_tta")))
        onnx_ms = per_photo_ms(lambda x, s=session: s.run(["probabilities"], {"image": x}),
                               photos)
        keras_ms = per_photo_ms(lambda x, m=model: m.predict(x, verbose=0), photos)
        figures[name] = {"onnx_ms_per_photo": round(onnx_ms, 2),
                         "keras_predict_ms_per_photo": round(keras_ms, 2),
                         "speed_up": round(keras_ms / onnx_ms, 2)}
        if spec.get("int8_file"):
            int8 = create_session(args.model / spec["int8_file"])
            int8_ms = per_photo_ms(lambda x, s=int8: s.run(["probabilities"], {"image": x}),
                                   photos)
            figures[name].update({"onnx_int8_ms_per_photo": round(int8_ms, 2),
                                  "int8_speed_up": round(keras_ms / int8_ms, 2)})
    print(json.dumps({"photos": len(photos), "models": figures}, indent=1))


if __name__ == "__main__":
    main()
