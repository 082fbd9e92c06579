"""Serve the exported image classifiers with onnxruntime only (no Keras in the web process).

Preprocessing here is the single definition used by training too: pad to a white square,
resize to 224 px, keep raw 0..255 RGB as float32 NHWC. Each ONNX model normalises inside.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image

from ml.serving.vision_uncertainty import (
    UncertaintyRule,
    assess,
    knn_distance,
    load_reference,
)

IMAGE_SIZE = 224
PAD_COLOUR = (255, 255, 255)
#: Occlusion saliency hides each square of a ``grid``×``grid`` division of the photo in turn.
OCCLUSION_GRID = 5


def preprocess_image(image: Image.Image, size: int = IMAGE_SIZE) -> np.ndarray:
    """A photo as the models' input: ``(size, size, 3)`` float32 RGB in 0..255.

    The photo is centred on a white square (product photos have white backgrounds, so
    this keeps the whole product without distorting it) and resized with bicubic filtering.
    """
    rgb = image.convert("RGB")
    side = max(rgb.size)
    canvas = Image.new("RGB", (side, side), PAD_COLOUR)
    canvas.paste(rgb, ((side - rgb.width) // 2, (side - rgb.height) // 2))
    resized = canvas.resize((size, size), Image.Resampling.BICUBIC)
    return np.asarray(resized, dtype=np.float32)


METADATA_NAME = "metadata.json"
REPORT_NAME = "report.json"
SUPPORTED_FORMAT = 1
#: For artifacts without a rule chosen on validation (older folders): the models disagree,
#: or their averaged top probability is under one half.
DEFAULT_RULE = UncertaintyRule(min_confidence=0.5)


class VisionModelsError(RuntimeError):
    """The vision artifacts are missing, incomplete or from an incompatible version."""


def to_map(values: np.ndarray, size: int = IMAGE_SIZE) -> np.ndarray:
    """A coarse non-negative map scaled to 0..1 and resized (bilinear) to ``size``×``size``."""
    values = np.maximum(np.asarray(values, dtype=np.float32), 0.0)
    peak = float(values.max())
    values = values / peak if peak > 0 else values
    resized = Image.fromarray(values, mode="F").resize((size, size), Image.Resampling.BILINEAR)
    return np.clip(np.asarray(resized, dtype=np.float32), 0.0, 1.0)


def without_outlier_tokens(grid: np.ndarray, factor: float = 3.0) -> np.ndarray:
    """An attention map with its isolated spikes replaced by their neighbours' median.

    DINOv2 puts a few high-norm "artifact" tokens on background patches that soak up
    attention (Darcet et al., 2023, "Vision Transformers Need Registers"): measured on these
    photos, one patch holds 5 to 10 times the attention of the next, so the rollout showed a
    single dot, often beside the product. A token above ``factor`` times the map's 98th
    percentile is such a spike; it takes the median of its 3×3 neighbourhood. A map without
    spikes is returned unchanged.
    """
    values = np.asarray(grid, dtype=np.float32)
    spikes = np.argwhere(values > factor * np.quantile(values, 0.98))
    if not len(spikes):
        return values
    cleaned = values.copy()
    for row, col in spikes:
        window = values[max(0, row - 1):row + 2, max(0, col - 1):col + 2]
        neighbours = np.delete(window.ravel(), (row - max(0, row - 1)) * window.shape[1]
                               + (col - max(0, col - 1)))
        cleaned[row, col] = float(np.median(neighbours))
    return cleaned


def occlusion_batch(pixels: np.ndarray, grid: int = 7, fill: float = 127.5) -> np.ndarray:
    """``grid``² copies of one preprocessed photo, each with one square greyed out."""
    size = pixels.shape[0]
    step = int(np.ceil(size / grid))
    batch = np.repeat(pixels[None], grid * grid, axis=0)
    for index in range(grid * grid):
        row, col = divmod(index, grid)
        batch[index, row * step:(row + 1) * step, col * step:(col + 1) * step] = fill
    return batch


OCCLUSION_CHUNK = 5


def occlusion_map(session, pixels: np.ndarray, class_index: int, baseline: float,
                  grid: int = 7) -> np.ndarray:
    """Model-agnostic saliency: how much hiding each square lowers the class probability."""
    batch = occlusion_batch(pixels, grid)
    # A few photos per call: the same speed on two cores, and onnxruntime's memory arena
    # then grows to a few photos' activations instead of grid² of them.
    occluded = np.concatenate([
        session.run(["probabilities"], {"image": batch[start:start + OCCLUSION_CHUNK]})[0]
        for start in range(0, len(batch), OCCLUSION_CHUNK)])
    drop = baseline - occluded[:, class_index]
    return to_map(drop.reshape(grid, grid))


@dataclass
class VisionModels:
    """The exported classifiers, their labels, metadata and evaluation report.

    ``reference`` holds the training photos' normalised features for the ``unfamiliar``
    test of the uncertainty rule (``None``: the rule then uses the probabilities only).
    """

    version: str
    labels: list[str]
    report: dict
    metadata: dict
    sessions: dict = field(repr=False)
    reference: np.ndarray | None = field(default=None, repr=False)

    @property
    def uncertainty_rule(self) -> UncertaintyRule:
        """The rule chosen on validation (``metadata["uncertainty"]``), or the default one."""
        spec = self.metadata.get("uncertainty")
        return UncertaintyRule.from_metadata(spec) if spec else DEFAULT_RULE

    def _outputs(self, name: str) -> list[str] | None:
        """The output names to ask a session for (``None``: all, in the file's order)."""
        outputs = self.metadata["models"][name].get("outputs")
        return list(outputs) if outputs else None

    def classify(self, image: Image.Image, saliency: bool = True, top_k: int = 5,
                 occlusion_grid: int = OCCLUSION_GRID, occlusion: bool = True,
                 label_names: Mapping[str, str] | None = None) -> dict:
        """Classify one RGB photo with every model; optionally explain each prediction.

        Returns ``{"models": {name: {"label", "label_text", "top5", "ms", "saliency"}},
        "agree": bool, "uncertain": bool, "uncertainty": {"reasons": [...], "rule":
        "validation"|"default"}}``. ``label`` is the dataset's category name;
        ``label_text`` is its name in ``label_names`` (the page's language; the dataset's
        name without it). The reasons are :func:`~ml.serving.vision_uncertainty.assess`'s.
        Saliency maps are 224×224 float arrays in 0..1 over :meth:`model_input`. The
        model-specific map (ViT attention rollout, EfficientNet CAM) comes with the forward
        pass. Occlusion costs ``occlusion_grid``² extra forward passes per model (one batch):
        about a second for the EfficientNet, several for the ViT on two cores;
        ``occlusion=False`` leaves it out, for :meth:`occlusion` to compute later.
        """
        pixels = preprocess_image(image)
        rule = self.uncertainty_rule
        results, all_probabilities, distance = {}, {}, None
        for name, sess in self.sessions.items():
            started = time.perf_counter()
            outputs = self._outputs(name)
            values = sess.run(outputs, {"image": pixels[None]})
            elapsed = 1000.0 * (time.perf_counter() - started)
            named = dict(zip(outputs or ["probabilities", "saliency"], values, strict=False))
            probabilities = named["probabilities"][0]
            extra = values[1]
            all_probabilities[name] = probabilities
            if "features" in named and self.reference is not None \
                    and name == rule.feature_model:
                distance = float(knn_distance(named["features"], self.reference, rule.k)[0])
            order = np.argsort(probabilities)[::-1][:top_k]
            best = int(order[0])
            label = self.labels[best]
            entry = {
                "label": label,
                "label_text": (label_names or {}).get(label, label),
                "top5": [[self.labels[k], float(probabilities[k])] for k in order],
                "ms": elapsed,
            }
            if saliency:
                maps = {}
                if occlusion:
                    maps["occlusion"] = occlusion_map(sess, pixels, best,
                                                      float(probabilities[best]),
                                                      occlusion_grid)
                kind = self.metadata["models"][name].get("saliency", "")
                if kind == "rollout":
                    maps["rollout"] = to_map(without_outlier_tokens(extra[0]))
                elif kind == "cam":
                    maps["cam"] = to_map(extra[0][..., best])
                entry["saliency"] = maps
            results[name] = entry
        labels = {entry["label"] for entry in results.values()}
        verdict = assess(all_probabilities, rule, distance)
        for reason in verdict["reasons"]:
            if reason["code"] == "models_disagree":
                reason["labels"] = {n: self.labels[k] for n, k in reason["labels"].items()}
        return {"models": results, "agree": len(labels) == 1,
                "uncertain": verdict["uncertain"],
                "uncertainty": {"reasons": verdict["reasons"],
                                "rule": "validation" if "uncertainty" in self.metadata
                                else "default"}}

    def occlusion(self, image: Image.Image, model: str, label: str,
                  grid: int = OCCLUSION_GRID) -> np.ndarray:
        """One model's occlusion map for one class: the map :meth:`classify` gives, alone.

        Costs one forward pass (the class probability of the whole photo, the baseline)
        plus the ``grid``² occluded copies. Raises ``KeyError`` for a model or a label this
        set does not have.
        """
        if model not in self.sessions:
            raise KeyError(f"unknown model {model!r}")
        if label not in self.labels:
            raise KeyError(f"unknown label {label!r}")
        session, class_index = self.sessions[model], self.labels.index(label)
        pixels = preprocess_image(image)
        # The same call as classify's, so that the baseline is bit for bit the same.
        probabilities = session.run(None, {"image": pixels[None]})[0]
        return occlusion_map(session, pixels, class_index,
                             float(probabilities[0, class_index]), grid)

    @staticmethod
    def model_input(image: Image.Image) -> Image.Image:
        """The photo as the models see it (white square, 224 px): the saliency maps' frame."""
        return Image.fromarray(preprocess_image(image).astype(np.uint8))


def load_metadata(directory: Path) -> dict:
    """Read and check ``metadata.json``; raises :class:`VisionModelsError` if unusable."""
    path = Path(directory) / METADATA_NAME
    if not path.is_file():
        raise VisionModelsError(f"no vision models in {directory} (run: python -m ml.vision "
                                "prepare)")
    try:
        metadata = json.loads(path.read_text())
    except json.JSONDecodeError as error:
        raise VisionModelsError(f"unreadable {path}: {error}") from error
    if metadata.get("format_version") != SUPPORTED_FORMAT:
        raise VisionModelsError(
            f"{path} has format {metadata.get('format_version')!r}, expected "
            f"{SUPPORTED_FORMAT}: retrain with python -m ml.vision train")
    for name, spec in metadata.get("models", {}).items():
        if not (Path(directory) / spec["file"]).is_file():
            raise VisionModelsError(f"model {name!r} is missing its file {spec['file']}")
    return metadata


def create_session(path: Path, threads: int | None = None):
    """An onnxruntime CPU session (created once per process and reused)."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    if threads:
        options.intra_op_num_threads = threads
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def load_vision_models(directory: Path, threads: int | None = None,
                       quantized: bool = False) -> VisionModels:
    """Load every exported model listed in ``metadata.json`` under ``directory``.

    ``quantized`` uses a model's int8 file where training kept one (it is only kept when
    its test accuracy did not drop).
    """
    directory = Path(directory)
    metadata = load_metadata(directory)
    report_path = directory / REPORT_NAME
    report = json.loads(report_path.read_text()) if report_path.is_file() else {}
    try:
        sessions = {name: create_session(
                        directory / spec.get("int8_file" if quantized else "file", spec["file"]),
                        threads)
                    for name, spec in metadata["models"].items()}
    except Exception as error:  # onnxruntime raises its own exception types
        raise VisionModelsError(f"cannot load the vision models: {error}") from error
    reference = None
    if metadata.get("uncertainty"):
        try:
            reference = load_reference(directory,
                                       UncertaintyRule.from_metadata(metadata["uncertainty"]))
        except (OSError, ValueError, KeyError) as error:
            raise VisionModelsError(f"cannot load the uncertainty reference: {error}") \
                from error
    return VisionModels(version=str(metadata["version"]), labels=list(metadata["labels"]),
                        report=report, metadata=metadata, sessions=sessions,
                        reference=reference)
