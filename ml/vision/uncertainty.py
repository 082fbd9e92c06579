"""Choose the "models are unsure" rule on the validation split; images that are no product.

The rule itself (and its use when serving) is :mod:`ml.serving.vision_uncertainty`. Here:

- :func:`choose_rule` picks, on the validation photos only, the confidence threshold that
  best separates the photos a model gets wrong from the others (Youden's J, with the
  disagreement of the two models counted as a flag already), and the feature-distance
  threshold that a real photo rarely exceeds (its 99th percentile on validation);
- :func:`synthetic_images` makes the pictures that are no product at all (blank, noise,
  text), which the rule is checked on (the report and ``bench/vision_uncertainty.py``).
"""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from ml.serving.vision import IMAGE_SIZE, preprocess_image
from ml.serving.vision_uncertainty import UncertaintyRule, flags

#: Share of real validation photos allowed past the distance threshold.
DISTANCE_QUANTILE = 0.99
CONFIDENCE_GRID = np.round(np.arange(0.30, 0.951, 0.01), 2)
#: ASCII only: Pillow's built-in font has no accented letters.
WORDS = ("Pret a depenser", "Lorem ipsum dolor sit amet", "FACTURE No 2024-117",
         "Livraison offerte", "Total TTC : 49,90 EUR", "Conditions generales de vente")


def choose_rule(probabilities: dict[str, np.ndarray], truth: np.ndarray,
                distances: np.ndarray | None, reference_file: str | None = None,
                k: int = 5, feature_model: str = "efficientnet") -> dict:
    """The rule (as stored in ``metadata["uncertainty"]``) chosen on validation photos.

    ``probabilities``: model → (N, K) served probabilities on the validation photos;
    ``truth``: their classes; ``distances``: their k-NN feature distances to the training
    photos. A photo counts as an error when any model gets it wrong.
    """
    wrong = np.zeros(len(truth), dtype=bool)
    for values in probabilities.values():
        wrong |= values.argmax(1) != truth
    best, best_j = float(CONFIDENCE_GRID[0]), -np.inf
    for threshold in CONFIDENCE_GRID:
        flagged = flags(probabilities, UncertaintyRule(min_confidence=float(threshold)))
        j = _rate(flagged, wrong) - _rate(flagged, ~wrong)
        if j > best_j + 1e-9:  # the lowest threshold among ties: fewer needless warnings
            best, best_j = float(threshold), j
    spec: dict = {"min_confidence": best, "flag_disagreement": True, "chosen_on": "validation",
                  "objective": "Youden's J for 'a model is wrong' (models disagreeing flag too)",
                  "distance": None}
    if distances is not None and reference_file:
        spec["distance"] = {
            "model": feature_model, "k": k, "reference_file": reference_file,
            "max_distance": round(float(np.quantile(distances, DISTANCE_QUANTILE)), 4),
            "quantile": DISTANCE_QUANTILE, "measure": "mean cosine distance to the k "
            "nearest training photos (EfficientNet pooled features)"}
    rule = UncertaintyRule.from_metadata(spec)
    flagged = flags(probabilities, rule, distances)
    spec["validation"] = {"photos": int(len(truth)), "flagged": int(flagged.sum()),
                          "errors": int(wrong.sum()),
                          "errors_flagged": int((flagged & wrong).sum()),
                          "correct_flagged": int((flagged & ~wrong).sum())}
    return spec


def _rate(flagged: np.ndarray, subset: np.ndarray) -> float:
    return float(flagged[subset].mean()) if subset.any() else 0.0


def synthetic_images(per_kind: int = 10, seed: int = 0) -> dict[str, np.ndarray]:
    """Model inputs that are no product photo: ``blank``, ``noise`` and ``text`` (N, 224, 224, 3).

    Blank: plain white, black, greys and colours. Noise: uniform and Gaussian pixel noise,
    some coarse (blocky). Text: lines of (unaccented) French text in black or colour on white.
    """
    rng = np.random.default_rng(seed)
    blank = [np.full((IMAGE_SIZE, IMAGE_SIZE, 3), 255.0, np.float32)]
    while len(blank) < per_kind:
        blank.append(np.broadcast_to(rng.integers(0, 256, 3).astype(np.float32),
                                     (IMAGE_SIZE, IMAGE_SIZE, 3)).copy())
    noise = []
    for index in range(per_kind):
        cells = (IMAGE_SIZE, 28, 56)[index % 3]
        if index % 2:
            values = rng.normal(127.5, 60.0, (cells, cells, 3))
        else:
            values = rng.uniform(0, 255, (cells, cells, 3))
        image = Image.fromarray(np.clip(values, 0, 255).astype(np.uint8))
        noise.append(preprocess_image(image.resize((IMAGE_SIZE, IMAGE_SIZE),
                                                   Image.Resampling.NEAREST)))
    text = [preprocess_image(_text_image(rng)) for _ in range(per_kind)]
    return {"blank": np.stack(blank), "noise": np.stack(noise), "text": np.stack(text)}


def _text_image(rng: np.random.Generator) -> Image.Image:
    image = Image.new("RGB", (640, 480), (255, 255, 255))
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=int(rng.integers(28, 56)))
    colour = tuple(int(c) for c in (rng.integers(0, 120, 3) if rng.random() < 0.5
                                    else (0, 0, 0)))
    y = int(rng.integers(10, 60))
    while y < 440:
        words = " ".join(rng.choice(WORDS, size=2, replace=False))
        draw.text((int(rng.integers(5, 40)), y), words, fill=colour, font=font)
        y += int(rng.integers(50, 90))
    return image


REFERENCE_FILE = "reference_features.npy"


def served_outputs(models, pixels: np.ndarray, batch_size: int = 16,
                   only: str | None = None
                   ) -> tuple[dict[str, np.ndarray], np.ndarray | None]:
    """Each served model's probabilities (or ``only`` one's), and the pooled features of
    the model that exports them (the EfficientNet)."""
    names = [only] if only else list(models.sessions)
    probabilities: dict[str, list[np.ndarray]] = {name: [] for name in names}
    features: list[np.ndarray] = []
    for start in range(0, len(pixels), batch_size):
        batch = pixels[start:start + batch_size]
        for name in names:
            session = models.sessions[name]
            outputs = models.metadata["models"][name].get("outputs") or ["probabilities"]
            wanted = ["probabilities"] + (["features"] if "features" in outputs else [])
            values = session.run(wanted, {"image": batch})
            probabilities[name].append(values[0])
            if len(values) > 1:
                features.append(values[1])
    return ({name: np.concatenate(chunks) for name, chunks in probabilities.items()},
            np.concatenate(features) if features else None)


def fit_rule(out_dir, pixels: np.ndarray, index: dict[str, np.ndarray],
             labels: dict[str, np.ndarray], k: int = 5) -> tuple[dict, dict]:
    """Choose the rule on validation with the models as served (int8 ViT); count flags.

    Writes the training photos' normalised EfficientNet features next to the models and
    returns ``(rule for metadata.json, report section)``; the report section counts the
    flagged photos of the test split and of the synthetic blank, noise and text images.
    """
    from pathlib import Path

    from ml.serving.vision import load_vision_models
    from ml.serving.vision_uncertainty import knn_distance, normalised

    models = load_vision_models(Path(out_dir), quantized=True)
    rule_model = "efficientnet"
    _, train_features = served_outputs(models, pixels[index["train"]], only=rule_model)
    reference = None
    if train_features is not None:
        reference = normalised(train_features)
        np.save(Path(out_dir) / REFERENCE_FILE, reference.astype(np.float16))
        reference = reference.astype(np.float16).astype(np.float32)  # as served
    distances = {}
    outputs = {}
    sets = {"validation": pixels[index["validation"]], "test": pixels[index["test"]],
            **synthetic_images()}
    for name, images in sets.items():
        outputs[name], features = served_outputs(models, images)
        distances[name] = (knn_distance(features, reference, k)
                           if reference is not None and features is not None else None)
    spec = choose_rule(outputs["validation"], labels["validation"], distances["validation"],
                       REFERENCE_FILE if reference is not None else None, k, rule_model)
    rule = UncertaintyRule.from_metadata(spec)
    counts, reasons = {}, {}
    for name in ("test", "blank", "noise", "text"):
        flagged = flags(outputs[name], rule, distances[name])
        counts[name] = {"flagged": int(flagged.sum()), "photos": int(len(flagged))}
        reasons[name] = _reason_counts(outputs[name], rule, distances[name])
    wrong = np.zeros(len(labels["test"]), dtype=bool)
    for values in outputs["test"].values():
        wrong |= values.argmax(1) != labels["test"]
    test_flags = flags(outputs["test"], rule, distances["test"])
    counts["test"].update({"errors": int(wrong.sum()),
                           "errors_flagged": int((test_flags & wrong).sum())})
    served = {name: {"test_accuracy": float(np.mean(values.argmax(1) == labels["test"])),
                     "validation_accuracy": float(np.mean(
                         outputs["validation"][name].argmax(1) == labels["validation"]))}
              for name, values in outputs["test"].items()}
    return spec, {"rule": spec, "flagged": counts, "reasons": reasons,
                  "served_accuracy": served}


def _reason_counts(probabilities: dict[str, np.ndarray], rule: UncertaintyRule,
                   distances: np.ndarray | None) -> dict[str, int]:
    """How many images each reason flags (a photo may have several)."""
    from ml.serving.vision_uncertainty import assess

    counts = {"low_confidence": 0, "models_disagree": 0, "unfamiliar": 0}
    n_images = len(next(iter(probabilities.values())))
    for i in range(n_images):
        verdict = assess({n: p[i] for n, p in probabilities.items()}, rule,
                         None if distances is None else float(distances[i]))
        for reason in verdict["reasons"]:
            counts[reason["code"]] += 1
    return counts
