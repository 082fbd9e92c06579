"""The trained models, loaded once per process and shared by every request.

The web process only uses the light serving side (``ml.serving``): an XGBoost booster for
credit and onnxruntime sessions for vision. A model that is missing or unreadable does not
stop the app: it is reported as not loaded (``/healthz``) with the reason, and the pages
that need it say so.
"""

from __future__ import annotations

import logging
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
    app.extensions["pad_models"] = loaded


def models() -> LoadedModels:
    """The models of the current app."""
    return current_app.extensions["pad_models"]
