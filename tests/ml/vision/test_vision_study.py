"""The small-ViT study: SPT, LSA and SAM do what the papers say, and the study reports them.

The layers are checked on tiny tensors; the whole study runs once on a tiny real subset
(two photos per class and subset, one epoch, a 16 px ViT of one block), taught by the tiny
exported EfficientNet of ``tiny_vision_models``.
"""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

import ml.vision  # noqa: F401  (sets KERAS_BACKEND=torch before keras loads)

keras = pytest.importorskip("keras")
torch = pytest.importorskip("torch")

pytestmark = [
    pytest.mark.filterwarnings("ignore:__array__ implementation doesn't accept a copy keyword"
                               ":DeprecationWarning"),
    pytest.mark.filterwarnings("ignore::FutureWarning:torch"),
]

from ml.vision.small_vit import (  # noqa: E402
    PatchTokens,
    SelfAttention,
    SmallViTConfig,
    build_small_vit,
    shift,
)
from ml.vision.study_conclusion import conclusion  # noqa: E402
from ml.vision.study_train import SamStep, study_loss  # noqa: E402

TINY = SmallViTConfig(image_size=16, patch=4, dim=16, depth=1, heads=2, mlp=32, dropout=0.0)


def test_spt_stacks_four_diagonal_half_patch_shifts():
    images = np.arange(2 * 8 * 8 * 3, dtype="float32").reshape(2, 8, 8, 3)
    moved = keras.ops.convert_to_numpy(shift(images, 2, -2))
    assert np.array_equal(moved[:, 2:, :-2], images[:, :-2, 2:])
    assert not moved[:, :2].any() and not moved[:, :, -2:].any()  # zero fill
    tokens = PatchTokens(4, 16, shifted=True)
    stacked = keras.ops.convert_to_numpy(tokens.stack_shifts(images))
    assert stacked.shape == (2, 8, 8, 15)
    assert np.array_equal(stacked[..., :3], images)
    assert tokens(images).shape == (2, 4, 16)  # (8 / 4)² patches of 4·4·15 values, projected
    assert tokens.norm is not None
    assert PatchTokens(4, 16)(images).shape == (2, 4, 16)


def test_lsa_masks_the_diagonal_and_learns_its_temperature():
    x = np.random.default_rng(0).normal(size=(2, 5, 16)).astype("float32")
    lsa, plain = SelfAttention(16, 2, locality=True), SelfAttention(16, 2)
    lsa.build(x.shape)
    plain.build(x.shape)
    weights = keras.ops.convert_to_numpy(lsa.attention(x)[0])
    assert np.allclose(np.diagonal(weights, axis1=-2, axis2=-1), 0.0, atol=1e-6)
    assert np.allclose(weights.sum(-1), 1.0, atol=1e-5)
    assert (np.diagonal(keras.ops.convert_to_numpy(plain.attention(x)[0]), axis1=-2,
                        axis2=-1) > 0).all()
    assert float(lsa.temperature.numpy()) == pytest.approx(np.sqrt(8))
    assert any(w is lsa.temperature for w in lsa.trainable_weights)
    assert not any(w is plain.temperature for w in plain.trainable_weights)
    lsa(x).sum().backward()
    assert float(lsa.temperature.value.grad.abs()) > 0  # it learns


def _sam_setup(rho):
    keras.utils.set_random_seed(1)
    model = build_small_vit(7, TINY)
    optimizer = keras.optimizers.SGD(0.1)
    optimizer.build(model.trainable_variables)
    return model, SamStep(model, optimizer, study_loss(7, 0.0), rho)


def test_sam_takes_two_gradients_per_update_and_moves_elsewhere():
    rng = np.random.default_rng(0)
    images = torch.from_numpy(rng.uniform(0, 255, (4, 16, 16, 3)).astype("float32"))
    labels = torch.from_numpy(np.array([0, 1, 2, 3]))
    targets = (labels, labels)
    plain_model, plain = _sam_setup(None)
    sam_model, sam = _sam_setup(0.5)
    start = [v.numpy().copy() for v in sam_model.trainable_variables]
    plain(images, targets)
    sam(images, targets)
    assert (plain.gradient_evaluations, sam.gradient_evaluations) == (1, 2)
    after_sam = [v.numpy() for v in sam_model.trainable_variables]
    after_plain = [v.numpy() for v in plain_model.trainable_variables]
    assert any(not np.allclose(a, b) for a, b in zip(after_sam, start, strict=True))
    # The second gradient is taken at the perturbed weights, so the step differs.
    assert any(not np.allclose(a, b) for a, b in zip(after_sam, after_plain, strict=True))


def test_deit_variant_has_a_distillation_head():
    model = build_small_vit(7, TINY, spt=True, lsa=True, distillation=True)
    outputs = model(np.zeros((1, 16, 16, 3), "float32"))
    assert set(outputs) == {"label", "teacher"}
    assert set(build_small_vit(7, TINY)(np.zeros((1, 16, 16, 3), "float32"))) == {"label"}


@pytest.fixture(scope="module")
def tiny_study(tiny_vision_models, vision_data_dir, tmp_path_factory):
    """The four variants on a tiny real subset, in a copy of the tiny artifacts."""
    import warnings

    from ml.vision.study import run_study
    from ml.vision.study_train import StudyTraining

    source, _ = tiny_vision_models
    out = tmp_path_factory.mktemp("study-artifacts")
    for path in source.iterdir():
        if path.name == "report.json":
            shutil.copy(path, out / path.name)
        else:
            (out / path.name).symlink_to(path)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "__array__ implementation doesn't accept a copy "
                                "keyword", DeprecationWarning)
        study = run_study(vision_data_dir, out, model=TINY,
                          training=StudyTraining(epochs=1, batch_size=8, warmup_epochs=0),
                          limit=2, n_views=3)
    return out, study


def test_the_study_trains_each_variant_and_reports_it(tiny_study):
    out, study = tiny_study
    report = json.loads((out / "report.json").read_text())
    assert report["study"] == json.loads(json.dumps(study))
    assert "models" in report  # the rest of the report is kept
    variants = study["variants"]
    assert list(variants) == ["plain", "spt_lsa", "spt_lsa_deit", "sam"]
    for entry in variants.values():
        for subset in ("validation", "test"):
            assert 0.0 <= entry[subset]["accuracy"] <= 1.0
            assert "macro_auc" in entry[subset]
        assert entry["parameters"] > 0 and entry["train_seconds"] >= 0
        assert entry["generalisation_gap"] == pytest.approx(
            entry["train_accuracy"] - entry["validation"]["accuracy"], abs=1e-3)
        assert all(len(curve) == 1 for curve in entry["curves"].values())
    # SAM computes two gradients per update, the others one.
    assert variants["sam"]["gradient_evaluations"] == 2 * variants["plain"]["gradient_evaluations"]
    assert variants["spt_lsa"]["parameters"] > variants["plain"]["parameters"]
    assert [c["trick"] for c in study["comparisons"]] == ["spt_lsa", "distillation", "sam"]
    assert study["sam_applied_to"] == "plain"
    assert set(study["conclusion"]) == {"en", "fr"}
    assert study["command"] and study["machine"]["cpus"]


def _study(delta_low: float, delta_high: float) -> dict:
    entry = {"test": {"accuracy": 0.5, "macro_auc": 0.8}, "validation": {"accuracy": 0.5},
             "generalisation_gap": 0.3, "train_seconds": 100.0}
    return {"photos": {"train": 658}, "served_vit_test_accuracy": 0.8,
            "variants": {"plain": entry, "sam": {**entry, "train_seconds": 190.0}},
            "comparisons": [{"trick": "sam", "delta_pooled": (delta_low + delta_high) / 2,
                             "pooled_photos": 284, "ci95_pooled": [delta_low, delta_high],
                             "verdict": "gain" if delta_low > 0 else "noise"}]}


def test_the_conclusion_follows_the_figures():
    gain = conclusion(_study(0.02, 0.10))
    noise = conclusion(_study(-0.03, 0.05))
    assert "measurable gain" in gain["en"] and "gain mesurable" in gain["fr"]
    assert "within the noise" in noise["en"] and "bruit" in noise["fr"]
    assert "1.9×" in gain["en"] and "1,9 fois" in gain["fr"]  # SAM's cost, from the times
    assert "30.0 points below" in gain["en"]  # the served ViT's 80 % against 50 %
