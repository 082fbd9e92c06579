"""A small Vision Transformer trained from scratch, with the review's tricks as switches.

The study (:mod:`ml.vision.study`) measures what each trick proposed for ViTs on small
datasets buys on the Flipkart photos, everything else equal:

- **Shifted Patch Tokenization** (SPT, Lee et al., 2021): the photo and four copies shifted
  by half a patch diagonally are cut into patches together, so each token sees a wider
  neighbourhood; the flattened patches are layer-normalised, then projected.
- **Locality Self-Attention** (LSA, same paper): a learnable softmax temperature (initialised
  at √d, the usual fixed scale) and a diagonal mask (a token cannot attend to itself), which
  sharpen the attention that small data leaves too flat.
- **DeiT's distillation token** (Touvron et al., 2021): a second token with its own head
  learns the teacher's (EfficientNet's) decisions; inference averages both heads.

The training loop, with the SAM optimizer, lives in :mod:`ml.vision.study_train`.
Inputs are raw RGB 0..255 NHWC photos; scaling to -1..1 happens inside.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import keras  # noqa: E402
import numpy as np
from keras import layers, ops  # noqa: E402

import ml.vision  # noqa: F401  (sets KERAS_BACKEND before keras is imported)

#: The diagonal mask's "minus infinity": large enough to zero a softmax weight in float32.
MASKED = -1e9


@dataclass(frozen=True)
class SmallViTConfig:
    """The size of the from-scratch ViT: small enough for two CPU cores to train in minutes."""

    image_size: int = 64
    patch: int = 8
    dim: int = 96
    depth: int = 4
    heads: int = 4
    mlp: int = 192
    dropout: float = 0.1

    @property
    def n_patches(self) -> int:
        """Tokens per photo, besides the class (and distillation) token."""
        return (self.image_size // self.patch) ** 2

    def as_dict(self) -> dict:
        """The configuration as plain JSON values, for the report."""
        return asdict(self)


def to_patches(images, patch: int):
    """Cut NHWC images into flattened non-overlapping patches: ``(B, N, patch²·C)``."""
    height, width, channels = images.shape[1], images.shape[2], images.shape[3]
    rows, cols = height // patch, width // patch
    x = ops.reshape(images, (-1, rows, patch, cols, patch, channels))
    x = ops.transpose(x, (0, 1, 3, 2, 4, 5))
    return ops.reshape(x, (-1, rows * cols, patch * patch * channels))


def shift(images, rows: int, cols: int):
    """Translate NHWC images by ``rows`` down and ``cols`` right, filling with zeros."""
    height, width = images.shape[1], images.shape[2]
    padded = ops.pad(images, ((0, 0), (max(rows, 0), max(-rows, 0)),
                              (max(cols, 0), max(-cols, 0)), (0, 0)))
    top, left = max(-rows, 0), max(-cols, 0)
    return padded[:, top:top + height, left:left + width, :]


@keras.saving.register_keras_serializable(package="pad_vision")
class PatchTokens(layers.Layer):
    """Patches → tokens: a linear projection, or SPT (shifted copies, layer norm, projection).

    With ``shifted``, the photo is stacked with its four diagonal shifts by half a patch
    (15 channels for RGB) before cutting, as in Lee et al. (2021).
    """

    def __init__(self, patch: int, dim: int, shifted: bool = False, **kwargs) -> None:
        super().__init__(**kwargs)
        self.patch = patch
        self.dim = dim
        self.shifted = shifted
        self.norm = layers.LayerNormalization(epsilon=1e-6, name="spt_norm") if shifted else None
        self.projection = layers.Dense(dim, name="projection")

    def build(self, input_shape) -> None:
        copies = 5 if self.shifted else 1
        flat = (input_shape[0], None, self.patch * self.patch * input_shape[-1] * copies)
        if self.norm is not None:
            self.norm.build(flat)
        self.projection.build(flat)

    def stack_shifts(self, images):
        """The photo and its four diagonal shifts by half a patch, along the channels."""
        half = self.patch // 2
        return ops.concatenate([images] + [shift(images, rows, cols) for rows, cols in
                                           ((-half, -half), (-half, half),
                                            (half, -half), (half, half))], axis=-1)

    def call(self, images):
        if self.shifted:
            images = self.stack_shifts(images)
        patches = to_patches(images, self.patch)
        if self.norm is not None:
            patches = self.norm(patches)
        return self.projection(patches)

    def get_config(self) -> dict:
        return {**super().get_config(), "patch": self.patch, "dim": self.dim,
                "shifted": self.shifted}


@keras.saving.register_keras_serializable(package="pad_vision")
class ClassTokens(layers.Layer):
    """Prepends the class token (and DeiT's distillation token) and adds positions."""

    def __init__(self, n_patches: int, dim: int, distillation: bool = False, **kwargs) -> None:
        super().__init__(**kwargs)
        self.n_patches = n_patches
        self.dim = dim
        self.distillation = distillation

    def build(self, input_shape) -> None:
        n_tokens = 2 if self.distillation else 1
        init = keras.initializers.TruncatedNormal(stddev=0.02)
        self.tokens = self.add_weight(shape=(1, n_tokens, self.dim), initializer=init,
                                      name="tokens")
        self.position = self.add_weight(shape=(1, self.n_patches + n_tokens, self.dim),
                                        initializer=init, name="position")

    def call(self, patches):
        batch = ops.shape(patches)[0]
        tokens = ops.broadcast_to(self.tokens, (batch, *self.tokens.shape[1:]))
        return ops.concatenate([tokens, patches], axis=1) + self.position

    def get_config(self) -> dict:
        return {**super().get_config(), "n_patches": self.n_patches, "dim": self.dim,
                "distillation": self.distillation}


@keras.saving.register_keras_serializable(package="pad_vision")
class SelfAttention(layers.Layer):
    """Multi-head self-attention; with ``locality``, LSA's learnable temperature and mask.

    Plain: ``softmax(q·kᵀ / √d)``. LSA: ``softmax(q·kᵀ / τ)`` with τ a trainable scalar
    initialised at √d, and ``-inf`` on the diagonal so no token attends to itself.
    """

    def __init__(self, dim: int, heads: int, locality: bool = False, dropout: float = 0.0,
                 **kwargs) -> None:
        super().__init__(**kwargs)
        self.dim = dim
        self.heads = heads
        self.locality = locality
        self.dropout_rate = dropout
        self.qkv = layers.Dense(3 * dim, name="qkv")
        self.proj = layers.Dense(dim, name="proj")
        self.dropout = layers.Dropout(dropout)

    def build(self, input_shape) -> None:
        self.qkv.build(input_shape)
        self.proj.build(input_shape)
        scale = float(np.sqrt(self.dim // self.heads))
        self.temperature = self.add_weight(
            shape=(), initializer=keras.initializers.Constant(scale), name="temperature",
            trainable=self.locality)

    def attention(self, x, training: bool = False):
        """Attention weights ``(B, heads, T, T)`` and values ``(B, heads, T, d)``."""
        tokens = ops.shape(x)[1]
        head_dim = self.dim // self.heads
        qkv = ops.reshape(self.qkv(x), (-1, tokens, 3, self.heads, head_dim))
        qkv = ops.transpose(qkv, (2, 0, 3, 1, 4))
        query, key, value = qkv[0], qkv[1], qkv[2]
        scores = ops.matmul(query, ops.transpose(key, (0, 1, 3, 2))) / self.temperature
        if self.locality:
            diagonal = ops.eye(tokens, dtype=scores.dtype)
            scores = scores * (1.0 - diagonal) + MASKED * diagonal
        weights = ops.softmax(scores, axis=-1)
        return self.dropout(weights, training=training), value

    def call(self, x, training: bool = False):
        weights, value = self.attention(x, training)
        mixed = ops.transpose(ops.matmul(weights, value), (0, 2, 1, 3))
        return self.proj(ops.reshape(mixed, (-1, ops.shape(x)[1], self.dim)))

    def get_config(self) -> dict:
        return {**super().get_config(), "dim": self.dim, "heads": self.heads,
                "locality": self.locality, "dropout": self.dropout_rate}


def _block(x, config: SmallViTConfig, locality: bool, index: int):
    """One pre-norm transformer block: attention, then a GELU MLP, each with a residual."""
    name = f"block{index}"
    h = layers.LayerNormalization(epsilon=1e-6, name=f"{name}_norm1")(x)
    h = SelfAttention(config.dim, config.heads, locality, config.dropout,
                      name=f"{name}_attention")(h)
    x = layers.Add(name=f"{name}_add1")([x, layers.Dropout(config.dropout)(h)])
    h = layers.LayerNormalization(epsilon=1e-6, name=f"{name}_norm2")(x)
    h = layers.Dense(config.mlp, activation="gelu", name=f"{name}_fc1")(h)
    h = layers.Dense(config.dim, name=f"{name}_fc2")(layers.Dropout(config.dropout)(h))
    return layers.Add(name=f"{name}_add2")([x, layers.Dropout(config.dropout)(h)])


def build_small_vit(n_classes: int, config: SmallViTConfig | None = None, spt: bool = False,
                    lsa: bool = False, distillation: bool = False) -> keras.Model:
    """A from-scratch ViT; outputs ``{"label": logits}`` (+ ``"teacher"`` with distillation).

    The class head reads the class token; the distillation head reads the distillation
    token. Use :func:`probabilities` for inference (it averages both heads, as DeiT does).
    """
    config = config or SmallViTConfig()
    image = keras.Input((config.image_size, config.image_size, 3), name="image")
    x = layers.Rescaling(1.0 / 127.5, offset=-1.0, name="scale")(image)
    x = PatchTokens(config.patch, config.dim, shifted=spt, name="patch_tokens")(x)
    x = ClassTokens(config.n_patches, config.dim, distillation, name="class_tokens")(x)
    x = layers.Dropout(config.dropout, name="embedding_dropout")(x)
    for index in range(config.depth):
        x = _block(x, config, lsa, index)
    x = layers.LayerNormalization(epsilon=1e-6, name="final_norm")(x)
    outputs = {"label": layers.Dense(n_classes, name="classifier")(x[:, 0])}
    if distillation:
        outputs["teacher"] = layers.Dense(n_classes, name="dist_classifier")(x[:, 1])
    name = "small_vit" + ("_spt" if spt else "") + ("_lsa" if lsa else "") \
        + ("_deit" if distillation else "")
    return keras.Model(image, outputs, name=name)


def probabilities(model: keras.Model, images: np.ndarray, batch_size: int = 128) -> np.ndarray:
    """Class probabilities for raw photos; the two heads' softmaxes averaged with DeiT."""
    import torch

    from ml.vision.train import softmax, to_numpy

    chunks = []
    for start in range(0, len(images), batch_size):
        with torch.no_grad():
            outputs = model(images[start:start + batch_size], training=False)
        heads = [softmax(to_numpy(outputs[key])) for key in ("label", "teacher")
                 if key in outputs]
        chunks.append(sum(heads) / len(heads))
    return np.concatenate(chunks)
