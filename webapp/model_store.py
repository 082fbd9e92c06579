"""The trained models, loaded once per process and shared by every request.

The web process only uses the light serving side (``ml.serving``): an XGBoost booster for
credit and onnxruntime sessions for vision. A model that is missing or unreadable does not
stop the app: it is reported as not loaded (``/healthz``) with the reason, and the pages
that need it say so.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from flask import Flask, current_app

from ml import config as ml_config

if TYPE_CHECKING:  # the serving modules are imported when the models load
    from ml.serving.credit import CreditModel
    from ml.serving.vision import VisionModels

log = logging.getLogger(__name__)


@dataclass
class LoadedModels:
    """What this process has loaded, and why anything is missing."""

    credit: CreditModel | None = None
    credit_error: str | None = None
    vision: VisionModels | None = None
    vision_error: str | None = None


def _artifacts_root(app: Flask) -> Path:
    configured = app.config.get("PAD_ARTIFACTS_DIR")
    return Path(configured) if configured else ml_config.artifacts_dir()


def init_models(app: Flask) -> None:
    """Load every model available under the artifacts directory into ``app.extensions``."""
    loaded = LoadedModels()
    root = _artifacts_root(app)
    try:
        from ml.serving.credit import load_credit_model

        loaded.credit = load_credit_model(ml_config.credit_artifacts_dir(root))
    except Exception as exc:  # reported on /healthz and on the pages that need it
        loaded.credit_error = str(exc)
        log.warning("credit model not loaded: %s", exc)
    _load_vision(loaded, ml_config.vision_artifacts_dir(root),
                 int(app.config.get("PAD_VISION_THREADS") or 0) or None)
    app.extensions["pad_models"] = loaded


def _load_vision(loaded: LoadedModels, directory: Path, threads: int | None) -> None:
    """The image classifiers (int8 where training kept it)."""
    try:
        from ml.serving.vision import load_vision_models

        loaded.vision = load_vision_models(directory, threads=threads, quantized=True)
    except Exception as exc:  # reported on /healthz and on the image page
        loaded.vision_error = str(exc)
        log.warning("vision models not loaded: %s", exc)


def models() -> LoadedModels:
    """The models of the current app."""
    return current_app.extensions["pad_models"]
