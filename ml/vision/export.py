"""Export the trained classifiers to ONNX, check numerics, optionally quantize the ViT.

``torch.onnx.export(..., dynamo=True)`` is called directly on the Keras model (a
``torch.nn.Module`` on the torch backend): ``keras.Model.export(format="onnx")`` fails for
a ViT with a dynamic batch. The EfficientNet is exported with batch norm folded into the
convolutions (1.7× faster in onnxruntime than the ~50 elementwise ops torch leaves).
"""

from __future__ import annotations

import logging
import time
import warnings
from pathlib import Path

import keras  # noqa: E402
import numpy as np

import ml.vision  # noqa: F401  (sets KERAS_BACKEND before keras is imported)
from ml.serving.vision import create_session  # noqa: E402  (the one the web app uses)
from ml.vision.train import to_numpy  # noqa: E402

OUTPUT_NAMES = {"vit": ["probabilities", "rollout"],
                "efficientnet": ["probabilities", "cam", "features"]}


def export_onnx(model: keras.Model, path: Path, output_names: list[str],
                image_size: int = 224) -> Path:
    """Write ``model`` as ONNX with a dynamic batch dimension, input ``image`` (NHWC)."""
    import torch

    for name in ("torch.onnx", "onnxscript", "onnx_ir"):
        logging.getLogger(name).setLevel(logging.ERROR)
    sample = torch.rand(2, image_size, image_size, 3) * 255.0
    batch = torch.export.Dim("batch", min=1, max=256)
    path = Path(path)
    model.eval()
    with torch.no_grad(), warnings.catch_warnings():
        # torch's own exporter internals warn about their deprecated APIs (FutureWarning).
        warnings.simplefilter("ignore", FutureWarning)
        warnings.simplefilter("ignore", DeprecationWarning)
        program = torch.onnx.export(
            model, (sample,), dynamo=True, dynamic_shapes=(({0: batch},),),
            input_names=["image"], output_names=output_names, verbose=False,
            optimize=True,
        )
    program.save(str(path))
    return path


def onnx_probabilities(path_or_session, images: np.ndarray, batch_size: int = 16) -> np.ndarray:
    """Class probabilities from an exported model for raw NHWC images."""
    sess = (path_or_session if hasattr(path_or_session, "run")
            else create_session(path_or_session))
    out = [sess.run(["probabilities"], {"image": images[i:i + batch_size]})[0]
           for i in range(0, len(images), batch_size)]
    return np.concatenate(out)


def keras_probabilities(model: keras.Model, images: np.ndarray, batch_size: int = 16
                        ) -> np.ndarray:
    """Class probabilities from a Keras inference model (first output)."""
    import torch

    out = []
    for i in range(0, len(images), batch_size):
        with torch.no_grad():
            result = model(images[i:i + batch_size], training=False)
        out.append(to_numpy(result[0]))
    return np.concatenate(out)


def parity(model: keras.Model, path: Path, images: np.ndarray) -> dict:
    """Max absolute difference between Keras and ONNX probabilities on real photos."""
    expected = keras_probabilities(model, images)
    actual = onnx_probabilities(path, images)
    return {"n_images": int(len(images)),
            "max_abs_diff_probabilities": float(np.max(np.abs(expected - actual))),
            "argmax_agreement": float(np.mean(expected.argmax(1) == actual.argmax(1)))}


def latency_ms(path: Path, images: np.ndarray, repeats: int = 1) -> float:
    """Milliseconds per photo, one photo per call (as the web app serves), after warm-up."""
    sess = create_session(path)
    sess.run(["probabilities"], {"image": images[:1]})
    started = time.perf_counter()
    for _ in range(repeats):
        for image in images:
            sess.run(["probabilities"], {"image": image[None]})
    return 1000.0 * (time.perf_counter() - started) / (repeats * len(images))


def quantize_dynamic_int8(source: Path, target: Path) -> Path:
    """Dynamic int8 quantization of MatMul/Gemm only (helps the ViT, slows the CNN).

    Per output channel: one scale per column of each weight matrix. With one scale per
    matrix the ViT lost two validation photos of 142; per channel it lost none.
    """
    from onnxruntime.quantization import QuantType, quantize_dynamic

    quantize_dynamic(str(source), str(target), op_types_to_quantize=["MatMul", "Gemm"],
                     weight_type=QuantType.QInt8, per_channel=True)
    return target
