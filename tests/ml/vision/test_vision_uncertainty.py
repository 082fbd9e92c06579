"""The "models are unsure" warning: its rule, how it is chosen, and what the served models say."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from ml.serving.vision_uncertainty import UncertaintyRule, assess, flags, knn_distance
from ml.vision.uncertainty import choose_rule, synthetic_images

RULE = UncertaintyRule(min_confidence=0.6, max_distance=0.3)


def _one_hot(index: int, confidence: float, n: int = 7) -> np.ndarray:
    values = np.full(n, (1.0 - confidence) / (n - 1))
    values[index] = confidence
    return values


def test_a_confident_agreement_on_a_familiar_photo_is_not_flagged():
    verdict = assess({"vit": _one_hot(2, 0.9), "efficientnet": _one_hot(2, 0.8)}, RULE, 0.1)
    assert verdict == {"uncertain": False, "reasons": []}


def test_each_reason_comes_with_its_figures():
    low = assess({"vit": _one_hot(2, 0.4), "efficientnet": _one_hot(2, 0.5)}, RULE, 0.1)
    assert low["uncertain"] and low["reasons"] == [
        {"code": "low_confidence", "confidence": pytest.approx(0.45), "threshold": 0.6}]
    split = assess({"vit": _one_hot(2, 0.9), "efficientnet": _one_hot(5, 0.9)}, RULE, 0.1)
    assert [r["code"] for r in split["reasons"]] == ["low_confidence", "models_disagree"]
    assert split["reasons"][1]["labels"] == {"vit": 2, "efficientnet": 5}
    far = assess({"vit": _one_hot(2, 0.9), "efficientnet": _one_hot(2, 0.9)}, RULE, 0.45)
    assert far["reasons"] == [{"code": "unfamiliar", "distance": 0.45, "threshold": 0.3}]
    # Without a measured distance, the rule falls back on the probabilities alone.
    assert not assess({"vit": _one_hot(2, 0.9), "efficientnet": _one_hot(2, 0.9)}, RULE,
                      None)["uncertain"]


def test_the_batch_rule_matches_the_single_photo_rule():
    rng = np.random.default_rng(0)
    probabilities = {name: rng.dirichlet(np.ones(7) * 0.3, size=50)
                     for name in ("vit", "efficientnet")}
    distances = rng.uniform(0, 0.6, 50)
    batch = flags(probabilities, RULE, distances)
    single = [assess({n: p[i] for n, p in probabilities.items()}, RULE, distances[i])
              ["uncertain"] for i in range(50)]
    assert batch.tolist() == single


def test_knn_distance_is_a_cosine_distance_to_the_nearest_references():
    reference = np.eye(4, dtype=np.float32)
    distances = knn_distance(np.array([[2.0, 0, 0, 0], [1.0, 1.0, 0, 0]]), reference, k=1)
    assert distances == pytest.approx([0.0, 1 - np.sqrt(0.5)], abs=1e-6)


def test_the_confidence_threshold_is_chosen_to_catch_the_errors_on_validation():
    truth = np.array([0] * 8 + [1] * 4)
    vit = np.stack([_one_hot(0, 0.9)] * 8 + [_one_hot(0, 0.45)] * 4)  # wrong when unsure
    spec = choose_rule({"vit": vit, "efficientnet": vit}, truth, distances=None)
    assert 0.45 < spec["min_confidence"] <= 0.9
    assert spec["validation"] == {"photos": 12, "flagged": 4, "errors": 4,
                                  "errors_flagged": 4, "correct_flagged": 0}
    assert spec["distance"] is None
    with_distance = choose_rule({"vit": vit, "efficientnet": vit}, truth,
                                distances=np.linspace(0.1, 0.2, 12), reference_file="ref.npy")
    assert with_distance["distance"]["max_distance"] == pytest.approx(0.2, abs=0.01)


def test_synthetic_images_are_model_inputs_of_three_kinds():
    images = synthetic_images(per_kind=4)
    assert set(images) == {"blank", "noise", "text"}
    for batch in images.values():
        assert batch.shape == (4, 224, 224, 3) and batch.dtype == np.float32
        assert batch.min() >= 0 and batch.max() <= 255
    assert (images["blank"][0] == 255).all()  # the plain white picture of the issue
    assert images["noise"].std() > 30 and images["text"].mean() > 150


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_the_served_models_warn_on_a_blank_picture(tiny_vision_models):
    from ml.serving.vision import load_vision_models

    out, report = tiny_vision_models
    models = load_vision_models(out)
    assert models.metadata["uncertainty"]["chosen_on"] == "validation"
    assert models.reference is not None and models.reference.shape[1] == 1280
    white = Image.new("RGB", (300, 300), "white")
    result = models.classify(white, saliency=False, label_names={"Computers": "Ordinateurs"})
    assert result["uncertain"] is True
    assert result["uncertainty"]["rule"] == "validation"
    codes = {reason["code"] for reason in result["uncertainty"]["reasons"]}
    assert codes and codes <= {"low_confidence", "models_disagree", "unfamiliar"}
    for entry in result["models"].values():
        expected = "Ordinateurs" if entry["label"] == "Computers" else entry["label"]
        assert entry["label_text"] == expected
    counts = report["uncertainty"]["flagged"]
    assert set(counts) == {"test", "blank", "noise", "text"}
