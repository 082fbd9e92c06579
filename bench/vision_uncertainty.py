"""Benchmark: how many real test photos, and how many blank, noise and text images, the
"models are unsure" warning flags, with the models as the app serves them.

The rule is the one stored in ``metadata.json`` (chosen on the validation split at training
time). The baseline, in the same run, is the same rule without its feature-distance test
(probabilities alone: low confidence or disagreement), to show what the distance adds.
Needs trained artifacts (``python -m ml.vision prepare``).

    python bench/vision_uncertainty.py [--model DIR] [--per-kind 20]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
from pathlib import Path

import numpy as np

os.environ.setdefault("KERAS_BACKEND", "torch")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ml.config import vision_artifacts_dir, vision_data_dir  # noqa: E402
from ml.serving.vision import load_vision_models  # noqa: E402
from ml.serving.vision_uncertainty import UncertaintyRule, flags, knn_distance  # noqa: E402
from ml.vision.data import load_catalogue, load_pixels, load_split  # noqa: E402
from ml.vision.uncertainty import served_outputs, synthetic_images  # noqa: E402


def main() -> None:
    """Print one JSON object: flagged counts per image set, for the rule and the baseline."""
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", type=Path, default=vision_artifacts_dir())
    parser.add_argument("--per-kind", type=int, default=20)
    args = parser.parse_args()
    models = load_vision_models(args.model, quantized=True)
    if "uncertainty" not in models.metadata:
        raise SystemExit("these artifacts have no uncertainty rule: retrain (prepare/train)")
    rule = UncertaintyRule.from_metadata(models.metadata["uncertainty"])
    baseline = dataclasses.replace(rule, max_distance=None)
    catalogue = load_catalogue(vision_data_dir()).set_index("image")
    split = load_split(args.model / "split.json")
    sets = {"test": load_pixels(catalogue.loc[split["test"], "path"].tolist()),
            **synthetic_images(args.per_kind, seed=1)}
    figures = {"rule": models.metadata["uncertainty"], "sets": {}}
    for name, images in sets.items():
        probabilities, features = served_outputs(models, images)
        distances = (knn_distance(features, models.reference, rule.k)
                     if features is not None and models.reference is not None else None)
        figures["sets"][name] = {
            "images": int(len(images)),
            "flagged": int(flags(probabilities, rule, distances).sum()),
            "flagged_without_distance": int(flags(probabilities, baseline).sum()),
            "median_distance": (None if distances is None
                                else round(float(np.median(distances)), 4))}
    print(json.dumps(figures, indent=1))


if __name__ == "__main__":
    main()
