"""The ``credit`` blueprint (the client page, its sections, the what-if, the sheet, drafts,
the review request and the model page), shared by the route modules of this package."""

from __future__ import annotations

from flask import Blueprint
from flask_babel import gettext as _
from werkzeug.exceptions import ServiceUnavailable

from ml.serving.credit import CreditModel

from ..model_store import models

bp = Blueprint("credit", __name__)


def loaded_model() -> CreditModel:
    """The credit model, or a 503 that says so."""
    model = models().credit
    if model is None:
        error = ServiceUnavailable()
        error.pad_message = _("Le modèle de crédit n'est pas chargé : la décision ne peut pas "
                              "être calculée pour le moment. Prévenez l'administrateur.")
        raise error
    return model
