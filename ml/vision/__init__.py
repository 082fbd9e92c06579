"""Image classification proof of concept: a ViT and an EfficientNet on the Flipkart photos.

Training and export code (Keras 3 on the torch backend) lives here; the web process only
imports :mod:`ml.serving.vision`, which runs the exported ONNX models with onnxruntime.
Run ``python -m ml.vision --help`` for the command line.
"""

from __future__ import annotations

import os

# Keras reads its backend once, at import: set it before any ``import keras`` below.
os.environ.setdefault("KERAS_BACKEND", "torch")

FORMAT_VERSION = 1
MODEL_NAMES = ("vit", "efficientnet")
