"""The trained models, loaded once per process and shared by every request.

The web process only uses the light serving side (``ml.serving``): an XGBoost booster for
credit and onnxruntime sessions for vision. A model that is missing or unreadable does not
stop the app: it is reported as not loaded (``/healthz``) with the reason, and the pages
that need it say so.

A new credit model is picked up without a restart: ``<artifacts>/credit/CURRENT`` names the
model in use, and :func:`models` looks at that small file at most once every
``PAD_MODEL_CHECK_SECONDS`` (one ``stat``, no read while it is unchanged). When it names
another folder, the first request that notices loads it while the others keep serving the
previous model; if the new folder cannot be loaded, the previous model stays and the reason is
logged. A training job (``webapp.jobs.training``) moves ``CURRENT``; so does
``python -m ml.credit train`` run by hand. Every process of the machine (web workers, the job
worker) thus serves the same model within about a second.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
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
    #: The credit artifacts root whose ``CURRENT`` is watched (None: a fixed folder).
    credit_root: Path | None = None
    #: Where the image classifiers are, and the onnxruntime threads (for a late load).
    vision_dir: Path | None = None
    vision_threads: int | None = None
    check_seconds: float = 1.0
    _pointer: tuple[int, int, int] | None = None
    _checked_at: float = 0.0
    _loading: threading.Lock = field(default_factory=threading.Lock)
    _vision_loading: threading.Lock = field(default_factory=threading.Lock)

    def refresh_credit(self, force: bool = False) -> bool:
        """Load the credit model ``CURRENT`` names if it changed; True when one was loaded.

        Cheap when nothing changed (at most one ``stat`` per ``check_seconds``); a request
        that finds another one loading carries on with the current model.
        """
        now = time.monotonic()
        if self.credit_root is None or (not force and now - self._checked_at
                                        < self.check_seconds):
            return False
        self._checked_at = now
        pointer = _pointer_of(self.credit_root)
        if pointer == self._pointer and not force:
            return False
        if not self._loading.acquire(blocking=force):
            return False
        try:
            return self._reload(pointer)
        finally:
            self._loading.release()

    def vision_on_demand(self) -> VisionModels | None:
        """The image classifiers, loaded now if this process left them out at start-up (the
        job worker: only an image evaluation needs them). ``None`` when they cannot load;
        ``vision_error`` says why."""
        if self.vision is not None or self.vision_dir is None:
            return self.vision
        with self._vision_loading:
            if self.vision is None:
                _load_vision(self, self.vision_dir, self.vision_threads)
        return self.vision

    def _reload(self, pointer: tuple[int, int, int] | None) -> bool:
        from ml.credit import artifacts
        from ml.serving.credit import load_credit_model

        self._pointer = pointer
        try:
            folder = artifacts.resolve(self.credit_root)
        except Exception as exc:  # noqa: BLE001 - no model now: keep serving the last one
            if self.credit is None:
                self.credit_error = str(exc)
            return False
        if self.credit is not None and self.credit.folder == folder:
            return False
        try:
            model = load_credit_model(folder)
        except Exception as exc:  # noqa: BLE001 - a bad new folder must not stop the portal
            log.warning("credit model %s not loaded, keeping %s: %s", folder.name,
                        getattr(self.credit, "version", None), exc)
            if self.credit is None:
                self.credit_error = str(exc)
            return False
        previous = getattr(self.credit, "version", None)
        self.credit, self.credit_error = model, None
        if previous is not None:
            log.info("credit model %s replaces %s", model.version, previous)
        return True


def _pointer_of(root: Path) -> tuple[int, int, int] | None:
    """What identifies the state of ``root/CURRENT`` without reading it."""
    from ml.credit.artifacts import CURRENT_FILE

    try:
        stat = (root / CURRENT_FILE).stat()
    except OSError:
        return None
    return stat.st_ino, stat.st_mtime_ns, stat.st_size


def _artifacts_root(app: Flask) -> Path:
    configured = app.config.get("PAD_ARTIFACTS_DIR")
    return Path(configured) if configured else ml_config.artifacts_dir()


def init_models(app: Flask) -> None:
    """Load every model available under the artifacts directory into ``app.extensions``.

    ``PAD_LOAD_VISION=False`` (the job worker) leaves the image classifiers out until an
    image evaluation asks for them (:meth:`LoadedModels.vision_on_demand`).
    """
    root = ml_config.credit_artifacts_dir(_artifacts_root(app))
    loaded = LoadedModels(check_seconds=float(app.config.get("PAD_MODEL_CHECK_SECONDS", 1.0)))
    # A folder holding a model itself is served as it is; a root is watched through CURRENT.
    is_folder = (root / "model_card.json").exists() or (root / "model.ubj").exists()
    loaded.credit_root = None if is_folder else root
    loaded._pointer = None if is_folder else _pointer_of(root)
    try:
        from ml.serving.credit import load_credit_model

        loaded.credit = load_credit_model(root)
    except Exception as exc:  # reported on /healthz and on the pages that need it
        loaded.credit_error = str(exc)
        log.warning("credit model not loaded: %s", exc)
    loaded.vision_dir = ml_config.vision_artifacts_dir(_artifacts_root(app))
    loaded.vision_threads = int(app.config.get("PAD_VISION_THREADS") or 0) or None
    if app.config.get("PAD_LOAD_VISION", True):
        _load_vision(loaded, loaded.vision_dir, loaded.vision_threads)
    else:  # loaded by the first image evaluation (LoadedModels.vision_on_demand)
        loaded.vision_error = "not loaded in this process (PAD_LOAD_VISION is off)"
    loaded._checked_at = time.monotonic()
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
    """The models of the current app (the credit model as ``CURRENT`` names it now)."""
    loaded: LoadedModels = current_app.extensions["pad_models"]
    loaded.refresh_credit()
    return loaded
