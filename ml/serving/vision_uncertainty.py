"""When to warn that the image models are unsure: the rule, applied at serving (numpy only).

The rule is chosen on the validation split at training time and stored in
``metadata.json`` under ``"uncertainty"`` (see :mod:`ml.vision.uncertainty`). A photo is
flagged *uncertain* for any of these machine-readable reasons, which the pages word:

- ``low_confidence``: the two models' averaged probability of their top class is below
  ``min_confidence``;
- ``models_disagree``: the models' top classes differ (one of them is wrong for sure);
- ``unfamiliar``: the photo's EfficientNet features are far from every training photo's:
  the mean cosine distance to its ``k`` nearest training photos exceeds ``max_distance``
  (blank pictures, noise, text, objects outside the seven categories).

The reference features (L2-normalised, float16) sit next to the models
(``reference_file``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np


@dataclass(frozen=True)
class UncertaintyRule:
    """The thresholds chosen on validation, and the features the distance is measured on."""

    min_confidence: float
    flag_disagreement: bool = True
    max_distance: float | None = None
    k: int = 5
    feature_model: str = "efficientnet"
    reference_file: str | None = None

    @classmethod
    def from_metadata(cls, spec: dict) -> UncertaintyRule:
        """The rule stored under ``metadata["uncertainty"]``."""
        distance = spec.get("distance") or {}
        return cls(min_confidence=float(spec["min_confidence"]),
                   flag_disagreement=bool(spec.get("flag_disagreement", True)),
                   max_distance=(float(distance["max_distance"]) if distance else None),
                   k=int(distance.get("k", 5)),
                   feature_model=str(distance.get("model", "efficientnet")),
                   reference_file=distance.get("reference_file"))


def normalised(features: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length (float32)."""
    features = np.asarray(features, dtype=np.float32)
    return features / np.maximum(np.linalg.norm(features, axis=-1, keepdims=True), 1e-12)


def knn_distance(features: np.ndarray, reference: np.ndarray, k: int) -> np.ndarray:
    """Mean cosine distance of each row of ``features`` to its ``k`` nearest references."""
    similarity = normalised(features) @ np.asarray(reference, dtype=np.float32).T
    k = min(k, similarity.shape[1])
    nearest = -np.sort(-similarity, axis=1)[:, :k]
    return 1.0 - nearest.mean(axis=1)


def load_reference(directory: Path, rule: UncertaintyRule) -> np.ndarray | None:
    """The training photos' normalised features, or ``None`` without a distance rule."""
    if rule.max_distance is None or not rule.reference_file:
        return None
    return np.load(Path(directory) / rule.reference_file).astype(np.float32)


def assess(probabilities: dict[str, np.ndarray], rule: UncertaintyRule,
           distance: float | None = None) -> dict:
    """``{"uncertain": bool, "reasons": [...]}`` for one photo.

    ``probabilities`` holds each model's class probabilities (1-D); ``distance`` the photo's
    :func:`knn_distance` (``None`` when not measured: no reason ``unfamiliar`` then).
    Each reason is ``{"code": ..., ...figures}``: ``low_confidence`` (``confidence``,
    ``threshold``), ``models_disagree`` (``labels``: model → class index), ``unfamiliar``
    (``distance``, ``threshold``).
    """
    reasons = []
    stacked = np.stack([np.asarray(p, dtype=np.float64) for p in probabilities.values()])
    confidence = float(stacked.mean(axis=0).max())
    if confidence < rule.min_confidence:
        reasons.append({"code": "low_confidence", "confidence": round(confidence, 4),
                        "threshold": rule.min_confidence})
    tops = {name: int(np.argmax(p)) for name, p in probabilities.items()}
    if rule.flag_disagreement and len(set(tops.values())) > 1:
        reasons.append({"code": "models_disagree", "labels": tops})
    if distance is not None and rule.max_distance is not None and distance > rule.max_distance:
        reasons.append({"code": "unfamiliar", "distance": round(float(distance), 4),
                        "threshold": rule.max_distance})
    return {"uncertain": bool(reasons), "reasons": reasons}


def flags(probabilities: dict[str, np.ndarray], rule: UncertaintyRule,
          distances: np.ndarray | None = None) -> np.ndarray:
    """The rule over a batch: one boolean per photo (``probabilities``: model → (N, K))."""
    stacked = np.stack([np.asarray(p, dtype=np.float64) for p in probabilities.values()])
    flagged = stacked.mean(axis=0).max(axis=1) < rule.min_confidence
    if rule.flag_disagreement:
        tops = stacked.argmax(axis=2)
        flagged |= (tops != tops[:1]).any(axis=0)
    if distances is not None and rule.max_distance is not None:
        flagged |= np.asarray(distances) > rule.max_distance
    return flagged
