"""The human-review panel of the client page: the applicant contests the automated decision
and the advisor asks for a review (an admin decides it in ``webapp/admin/reviews.py``)."""

from __future__ import annotations

from flask import redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup

from ..auth.access import roles_required
from ..extensions import db
from ..htmx import render, wants_partial
from ..models import Client
from ..services.explanations import explain, reasons
from ..services.reviews import ReviewError, latest_review, request_review
from ..templating import current_language
from .applicants import Applicant, stored_applicant
from .forms import ReviewRequestForm
from .routes import _model, bp


def _panel_context(applicant: Applicant, form: ReviewRequestForm | None = None,
                   error: str | None = None, can_request: bool = True) -> dict:
    review = latest_review(db.session, applicant.sk_id_curr)
    return {"applicant": applicant, "review": review,
            "form": form or ReviewRequestForm(formdata=None), "error": error,
            "can_request": can_request, "current_version": applicant.version}


def review_panel_html(applicant: Applicant, can_request: bool = True) -> Markup:
    """The panel as HTML, for the client page."""
    return Markup(render_template("clients/_review.html",
                                  **_panel_context(applicant, can_request=can_request)))


@bp.post("/clients/<int:sk_id_curr>/review", endpoint="request_review")
@roles_required()
def request_review_view(sk_id_curr: int):
    """Record the applicant's view and ask an admin for a human review."""
    applicant = stored_applicant(sk_id_curr)
    form = ReviewRequestForm()
    status, error = 200, None
    if not form.validate():
        status = 422
    else:
        model = _model()
        explanation = explain(model, applicant.record)
        against, in_favour = reasons(model, explanation, applicant.record, current_language())
        client = db.session.get(Client, sk_id_curr)
        try:
            request_review(db.session, client, current_user, form.applicant_view.data, model,
                           explanation, against, in_favour)
            db.session.commit()
        except ReviewError as exc:
            db.session.rollback()
            status = 409 if exc.code == "pending" else 422
            error = _("Un réexamen de ce dossier est déjà en attente.") if exc.code == "pending" \
                else _("Le point de vue du demandeur est trop long (4 000 caractères au plus).")
        else:
            if not wants_partial():
                return redirect(url_for("clients.client_page", sk_id_curr=sk_id_curr,
                                        _anchor="review"), code=303)
            form = ReviewRequestForm(formdata=None)
    return render("clients/review_page.html", "clients/_review.html", status=status,
                  **_panel_context(applicant, form, error))
