"""``/modele``: global importance, ROC and cost curves, confusion, calibration, fairness
across groups of applicants, model card."""

from __future__ import annotations

from flask import render_template

from ..accounts.access import roles_required
from ..model_store import models
from .blueprint import bp
from .fairness_view import fairness_view
from .model_report import model_report


@bp.get("/modele")
@roles_required()
def model_page():
    """What the credit model is and how well it does (503 page when it is not loaded)."""
    loaded = models()
    if loaded.credit is None:
        return render_template("credit/model.html", report=None, error=loaded.credit_error), 503
    return render_template("credit/model.html", report=model_report(loaded.credit),
                           fairness=fairness_view(loaded.credit), error=None)
