"""The Keras ports reproduce the original pretrained networks on a real photo."""

from __future__ import annotations

import math

import numpy as np
import pytest

import ml.vision  # noqa: E402,F401  (sets KERAS_BACKEND=torch before keras loads)

pytest.importorskip("keras")

# Keras 3.15's Variable.numpy() goes through an ``__array__`` without ``copy`` (numpy 2.4
# warns); torch's exporter warns about its own internals. Neither is ours to fix.
pytestmark = [
    pytest.mark.filterwarnings("ignore:__array__ implementation doesn't accept a copy keyword"
                               ":DeprecationWarning"),
    pytest.mark.filterwarnings("ignore::FutureWarning:torch"),
]
torch = pytest.importorskip("torch")
F = torch.nn.functional

from ml.vision import efficientnet, vit  # noqa: E402
from ml.vision.data import load_catalogue, load_pixels  # noqa: E402


@pytest.fixture(scope="module")
def watch_photos(vision_data_dir) -> np.ndarray:
    """Two real watch photos, preprocessed as for training."""
    catalogue = load_catalogue(vision_data_dir)
    return load_pixels(catalogue[catalogue["label"] == "Watches"]["path"].tolist()[:2])


def _same_pad(x, kernel: int, stride: int):
    size = x.shape[-1]
    total = max((math.ceil(size / stride) - 1) * stride + kernel - size, 0)
    return F.pad(x, (total // 2, total - total // 2, total // 2, total - total // 2))


def reference_lite0_logits(state: dict, images: np.ndarray) -> np.ndarray:
    """EfficientNet-Lite0 written directly with torch.nn.functional from the state dict.

    Independent of the Keras port: it follows the original PyTorch module (static
    TensorFlow "same" padding, batch norm eps 1e-3, ReLU6, no squeeze-excitation).
    """
    sd = {k: torch.from_numpy(v) for k, v in state.items()}

    def bn(x, name):
        return F.batch_norm(x, sd[f"{name}.running_mean"], sd[f"{name}.running_var"],
                            sd[f"{name}.weight"], sd[f"{name}.bias"], False, 0.0, 1e-3)

    x = torch.from_numpy((images - 127.0) / 128.0).permute(0, 3, 1, 2).float()
    x = F.relu6(bn(F.conv2d(_same_pad(x, 3, 2), sd["_conv_stem.weight"], stride=2), "_bn0"))
    for i, cfg in enumerate(efficientnet.block_configs()):
        p = f"_blocks.{i}."
        inputs = x
        if cfg["expand"] != 1:
            x = F.relu6(bn(F.conv2d(x, sd[p + "_expand_conv.weight"]), p + "_bn0"))
        w = sd[p + "_depthwise_conv.weight"]
        x = F.conv2d(_same_pad(x, cfg["kernel"], cfg["stride"]), w, stride=cfg["stride"],
                     groups=w.shape[0])
        x = F.relu6(bn(x, p + "_bn1"))
        x = bn(F.conv2d(x, sd[p + "_project_conv.weight"]), p + "_bn2")
        if cfg["stride"] == 1 and cfg["c_in"] == cfg["c_out"]:
            x = x + inputs
    x = F.relu6(bn(F.conv2d(x, sd["_conv_head.weight"]), "_bn1"))
    return F.linear(x.mean(dim=(2, 3)), sd["_fc.weight"], sd["_fc.bias"]).numpy()


def test_efficientnet_port_matches_original_logits(watch_photos):
    state = efficientnet.torch_state_dict()
    model = efficientnet.imagenet_classifier()
    with torch.no_grad():
        ported = np.asarray(model(watch_photos, training=False))
    original = reference_lite0_logits(state, watch_photos)
    assert np.max(np.abs(ported - original)) < 1e-3
    # And the weights mean something: a watch photo is an ImageNet watch or clock.
    watch_like = {409, 531, 826, 892}  # analog clock, digital watch, stopwatch, wall clock
    assert int(np.argmax(ported[0])) in watch_like


def test_vit_port_matches_onnx_backbone(watch_photos):
    model = vit.backbone_model()
    with torch.no_grad():
        ported = np.asarray(model(watch_photos[:1], training=False))
    original = vit.onnx_backbone_output(watch_photos[:1])
    assert ported.shape == original.shape == (1, 257, 384)
    assert np.max(np.abs(ported - original)) < 1e-3


def test_vit_weights_are_all_read_from_the_onnx_graph():
    weights = vit.read_onnx_backbone()
    for layer in range(vit.DEPTH):
        for name in ("attention.attention.query", "attention.attention.key",
                     "attention.attention.value", "attention.output.dense", "mlp.fc1",
                     "mlp.fc2"):
            assert f"backbone.encoder.layer.{layer}.{name}.weight" in weights
    assert weights["position.grid"].shape == (1, 37 * 37, vit.DIM)


def test_the_cached_trunk_tokens_are_the_keras_trunks(watch_photos):
    """Training caches the trunk with onnxruntime (a sub-graph of the original ONNX): the
    tokens the top trains on are those the exported Keras model computes."""
    from ml.vision import models
    from ml.vision.trunk_cache import trunk_session, trunk_tokens

    cached = trunk_tokens(trunk_session(10), watch_photos[:2])
    classifier = models.vit_classifier(7)
    with torch.no_grad():
        keras_tokens = np.asarray(classifier.trunk(watch_photos[:2], training=False))
    assert cached.shape == keras_tokens.shape == (2, 257, 384)
    assert np.max(np.abs(cached - keras_tokens)) < 1e-3
