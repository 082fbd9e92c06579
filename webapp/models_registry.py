"""The trained models, loaded once per process and shared by every request.

The web process only uses the light serving side (``ml.serving``): an XGBoost booster for
credit and onnxruntime sessions for vision. A model that is missing or unreadable does not
stop the app: it is reported as not loaded (``/healthz``) with the reason, and the pages
that need it say so.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flask import Flask, current_app

from ml import config as ml_config

log = logging.getLogger(__name__)


@dataclass
class LoadedModels:
    """What this process has loaded, and why anything is missing."""

    credit: Any = None
    credit_error: str | None = None
    vision: Any = None
    vision_error: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


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
    _load_vision(loaded, ml_config.vision_artifacts_dir(root))
    app.extensions["pad_models"] = loaded


def _load_vision(loaded: LoadedModels, directory: Path) -> None:
    """The image classifiers (int8 where training kept it) and the gallery's test photos."""
    try:
        from ml.serving.vision import load_vision_models

        # PAD_VISION_THREADS: onnxruntime threads per process (default: every core), to
        # set to cores / workers under gunicorn so that workers do not fight for cores.
        threads = int(os.environ.get("PAD_VISION_THREADS") or 0) or None
        loaded.vision = load_vision_models(directory, threads=threads, quantized=True)
    except Exception as exc:  # reported on /healthz and on the image page
        loaded.vision_error = str(exc)
        log.warning("vision models not loaded: %s", exc)
        return
    try:
        import json

        names = list(json.loads((directory / "split.json").read_text())["test"])
        step = max(1, len(names) // 8)  # spread over the list, not its first few
        loaded.extra["vision_gallery"] = names[::step][:8]
    except Exception as exc:  # no gallery, the upload still works
        log.warning("no gallery of test photos: %s", exc)


def models() -> LoadedModels:
    """The models of the current app."""
    return current_app.extensions["pad_models"]
