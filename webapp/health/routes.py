"""``GET /healthz``: is the app up, which models are loaded, which versions run."""

from __future__ import annotations

import platform
from importlib.metadata import PackageNotFoundError, version

from flask import Blueprint, jsonify
from sqlalchemy import text

from ..extensions import db
from ..model_store import models

bp = Blueprint("health", __name__)

_PACKAGES = ("flask", "xgboost-cpu", "onnxruntime", "pandas", "shap")


def _package_versions() -> dict[str, str | None]:
    found: dict[str, str | None] = {}
    for name in _PACKAGES:
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            found[name] = None
    return found


@bp.get("/healthz")
def healthz():
    """Liveness and readiness in one small JSON document (no login needed, no secrets)."""
    loaded = models()
    try:
        db.session.execute(text("SELECT 1"))
        database_ok = True
    except Exception:
        database_ok = False
    credit = loaded.credit
    body = {
        "status": "ok" if database_ok else "degraded",
        "database": database_ok,
        "models": {
            "credit": {
                "loaded": credit is not None,
                "version": getattr(credit, "version", None),
                "error": None if credit is not None else loaded.credit_error,
            },
            "vision": {
                "loaded": loaded.vision is not None,
                "version": getattr(loaded.vision, "version", None),
                "error": None if loaded.vision is not None else loaded.vision_error,
            },
        },
        "versions": {"python": platform.python_version(), **_package_versions()},
    }
    return jsonify(body), 200 if database_ok else 503
