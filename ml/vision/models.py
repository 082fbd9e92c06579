"""Compose the two classifiers from their ported backbones (Keras, torch backend).

Each classifier is split at a cut point: a frozen *trunk* whose output is cached once per
photo, and a trainable *top* (the last blocks and the head). Both share layer objects with
the full *inference* model, so training the top trains the model that is exported.

Inference models take raw RGB 0..255 NHWC photos (224 px) and return class probabilities
and a saliency map (ViT: attention rollout 16×16; EfficientNet: class activation maps
7×7×classes, from the last feature map and the linear head); the EfficientNet also returns
its pooled features (1280), for the uncertainty rule's distance to the training photos.
"""

from __future__ import annotations

from dataclasses import dataclass

import keras  # noqa: E402
from keras import layers, ops  # noqa: E402

import ml.vision  # noqa: F401  (sets KERAS_BACKEND before keras is imported)
from ml.vision import efficientnet, vit  # noqa: E402


@dataclass
class Classifier:
    """A classifier in three views sharing weights: trunk, trainable top, full inference."""

    trunk: keras.Model
    top: keras.Model
    inference: keras.Model
    pooled: keras.Model
    head: keras.Model


@keras.saving.register_keras_serializable(package="pad_vision")
class DistillationToken(layers.Layer):
    """DeiT's distillation token, inserted after the class token at the cut point."""

    def build(self, input_shape) -> None:
        self.token = self.add_weight(shape=(1, 1, vit.DIM), initializer="zeros", name="token")

    def call(self, tokens):
        batch = ops.shape(tokens)[0]
        extra = ops.broadcast_to(self.token, (batch, 1, vit.DIM))
        return ops.concatenate([tokens[:, :1], extra, tokens[:, 1:]], axis=1)


@keras.saving.register_keras_serializable(package="pad_vision")
class PatchDropout(layers.Layer):
    """While training, keep the class token and a random ``1 - rate`` of the patch tokens.

    PatchDropout (Liu et al., 2023): a ViT fine-tuned on a random half of its patches learns
    as well (it is a regulariser) for about half the compute; inference sees every patch.
    One subset per batch (a single gather).
    """

    def __init__(self, rate: float, seed: int | None = None, **kwargs) -> None:
        super().__init__(**kwargs)
        self.rate = rate
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def call(self, tokens, training: bool = False):
        if not training or self.rate <= 0:
            return tokens
        n_patches = tokens.shape[1] - 1
        keep = max(1, int(round(n_patches * (1.0 - self.rate))))
        chosen = keras.random.shuffle(ops.arange(n_patches), seed=self.seed_generator)[:keep]
        index = ops.concatenate([ops.zeros((1,), dtype=chosen.dtype), ops.sort(chosen) + 1])
        return ops.take(tokens, index, axis=1)

    def get_config(self) -> dict:
        return {**super().get_config(), "rate": self.rate, "seed": self.seed}


@keras.saving.register_keras_serializable(package="pad_vision")
class ClassActivationMap(layers.Layer):
    """Class activation maps: the linear head at every position of a (B, C, H, W) map."""

    def __init__(self, head: layers.Dense, **kwargs) -> None:
        super().__init__(**kwargs)
        self.head = head

    def call(self, features):
        kernel, bias = self.head.kernel, self.head.bias
        return ops.einsum("bchw,ck->bhwk", features, kernel) + bias


def vit_classifier(n_classes: int, cut: int = 10, distillation: bool = False,
                   dropout: float = 0.1, load_weights: bool = True,
                   patch_dropout: float = 0.0) -> Classifier:
    """DINOv2 ViT-S/14 with a head on (class token, mean patch token).

    Blocks ``cut..11`` are the trainable top. With ``distillation`` a DeiT distillation
    token is inserted at the cut; its own head learns from the teacher and the
    inference output averages both heads' probabilities. The top's training outputs are
    ``{"label": class logits, "teacher": distillation logits}``. ``patch_dropout`` drops
    that share of the patch tokens while the top trains (:class:`PatchDropout`); the
    inference model has no such layer.
    """
    embed, blocks, norm = vit.build_trunk()
    trunk_tokens, trunk_attention = vit.run_blocks(embed.output, blocks[:cut])
    trunk = keras.Model(embed.input, trunk_tokens, name="vit_trunk")
    dist = DistillationToken(name="dist_token") if distillation else None
    head = layers.Dense(n_classes, name="classifier")
    dist_head = layers.Dense(n_classes, name="dist_classifier") if distillation else None
    drop = layers.Dropout(dropout, name="head_dropout")

    patch_drop = PatchDropout(patch_dropout, name="patch_dropout") if patch_dropout else None

    def top_graph(tokens, training_graph: bool = False):
        if patch_drop is not None and training_graph:
            tokens = patch_drop(tokens)
        if dist is not None:
            tokens = dist(tokens)
        tokens, attention = vit.run_blocks(tokens, blocks[cut:])
        tokens = norm(tokens)
        patches = tokens[:, 2:] if dist is not None else tokens[:, 1:]
        pooled = ops.concatenate([tokens[:, 0], ops.mean(patches, axis=1)], axis=-1)
        outputs = {"label": head(drop(pooled))}
        if dist_head is not None:
            outputs["teacher"] = dist_head(drop(tokens[:, 1]))
        return outputs, attention

    top_in = keras.Input(tuple(trunk_tokens.shape[1:]), name="trunk_tokens")
    top_out, _ = top_graph(top_in, training_graph=True)
    top = keras.Model(top_in, top_out, name="vit_top")
    frozen, _ = vit.run_blocks(top_in, blocks[cut:])
    pooled = keras.Model(top_in, vit.pooled_features(norm(frozen)), name="vit_pooled")
    head_in = keras.Input((2 * vit.DIM,), name="pooled")
    head_model = keras.Model(head_in, {"label": head(drop(head_in))}, name="vit_head")
    outputs, top_attention = top_graph(trunk_tokens)
    probabilities = layers.Softmax(name="probabilities")(outputs["label"])
    if "teacher" in outputs:
        teacher = layers.Softmax(name="teacher_probabilities")(outputs["teacher"])
        probabilities = layers.Average(name="averaged")([probabilities, teacher])
    rollout = vit.AttentionRollout(224 // vit.PATCH, name="rollout")(
        trunk_attention + top_attention)
    inference = keras.Model(embed.input, [probabilities, rollout], name="vit_classifier")
    if load_weights:
        vit.load_dinov2_weights(inference, vit.read_onnx_backbone())
    return Classifier(trunk, top, inference, pooled, head_model)


def efficientnet_classifier(n_classes: int, cut: int = 11, dropout: float = 0.2,
                            fused: bool = False, load_weights: bool = True) -> Classifier:
    """EfficientNet-Lite0 with a linear head on the pooled last feature map.

    Blocks ``cut..15`` plus the head convolution are the trainable top (batch norms stay
    in inference mode). ``fused`` builds the export variant with batch norm folded in.
    """
    trunk, top_features = efficientnet.build_backbone(fused=fused, cut=cut)
    head = layers.Dense(n_classes, name="classifier")
    pool = layers.GlobalAveragePooling2D(data_format=efficientnet.FORMAT, name="pool")
    top_in = keras.Input(tuple(trunk.output.shape[1:]), name="trunk_features")
    drop = layers.Dropout(dropout, name="head_dropout")
    pooled_features = pool(top_features(top_in))
    top = keras.Model(top_in, {"label": head(drop(pooled_features))}, name="efficientnet_top")
    pooled = keras.Model(top_in, pooled_features, name="efficientnet_pooled")
    head_in = keras.Input((efficientnet.FEATURE_CHANNELS,), name="pooled")
    head_model = keras.Model(head_in, {"label": head(drop(head_in))}, name="efficientnet_head")
    features = top_features(trunk.output)
    pooled_output = pool(features)
    probabilities = layers.Softmax(name="probabilities")(head(pooled_output))
    cam = ClassActivationMap(head, name="cam")(features)
    # The pooled features are a third output: the uncertainty rule measures how far a photo
    # lies from the training photos in that space.
    inference = keras.Model(trunk.input, [probabilities, cam, pooled_output],
                            name="efficientnet_classifier")
    if load_weights and not fused:
        efficientnet.load_imagenet_weights([trunk, top_features],
                                           efficientnet.torch_state_dict())
    for layer in top_features.layers:
        if isinstance(layer, layers.BatchNormalization):
            layer.trainable = False
    return Classifier(trunk, top, inference, pooled, head_model)


def linear_head(width: int, n_classes: int, dropout: float = 0.2) -> keras.Model:
    """A fresh dropout + linear head on pooled features, shaped like a classifier's ``head``
    (its weights can be copied into the classifier's with ``set_weights``)."""
    pooled = keras.Input((width,), name="pooled")
    logits = layers.Dense(n_classes, name="classifier")(
        layers.Dropout(dropout, name="head_dropout")(pooled))
    return keras.Model(pooled, {"label": logits}, name="linear_head")


@keras.saving.register_keras_serializable(package="pad_vision")
class Mirror(layers.Layer):
    """Left-right mirror of NHWC photos (for test-time augmentation)."""

    def call(self, images):
        return ops.flip(images, axis=2)


def with_mirror_tta(inference: keras.Model) -> keras.Model:
    """Average the probabilities on the photo and its mirror; other outputs from the photo."""
    image = keras.Input(tuple(inference.input.shape[1:]), name="image")
    probabilities, *others = inference(image)
    mirrored = inference(Mirror(name="mirror")(image))[0]
    averaged = layers.Average(name="tta_probabilities")([probabilities, mirrored])
    return keras.Model(image, [averaged, *others], name=f"{inference.name}_tta")
