"""``/modele``: global importance, ROC and cost curves, confusion, calibration, model card."""

from __future__ import annotations

from flask import Blueprint, render_template

from ..auth.access import roles_required
from ..models_registry import models
from ..services.model_report import model_report
from ..templating import current_language

bp = Blueprint("model_card", __name__)


@bp.get("/modele")
@roles_required()
def model_page():
    """What the credit model is and how well it does (503 page when it is not loaded)."""
    loaded = models()
    if loaded.credit is None:
        return render_template("model_card/model.html", report=None,
                               error=loaded.credit_error), 503
    return render_template("model_card/model.html",
                           report=model_report(loaded.credit, current_language()), error=None)
