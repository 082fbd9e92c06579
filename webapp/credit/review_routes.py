"""The review request on the client page: the applicant contests the automated decision and
the advisor asks for a human review (an admin decides it in ``webapp/admin/reviews.py``)."""

from __future__ import annotations

from flask import redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..accounts.access import roles_required
from ..clients.decision_log import reason_sentences
from ..clients.models import Client
from ..clients.reviews import ReviewError, request_review
from ..extensions import db
from ..ui.htmx import wants_partial
from . import sections
from .applicants import stored_applicant
from .blueprint import bp, loaded_model
from .explanations import explain, reason_texts, reasons
from .forms import ReviewRequestForm
from .rendering import section_html, section_response
from .sections.review import review_view


@bp.post("/clients/<client_id:sk_id_curr>/review", endpoint="request_review")
@roles_required()
def request_review_view(sk_id_curr: int):
    """Record the applicant's view and ask an admin for a human review."""
    applicant = stored_applicant(sk_id_curr)
    form = ReviewRequestForm()
    status, error = 200, None
    if not form.validate():
        status = 422
    else:
        model = loaded_model()
        explanation = explain(model, applicant.record)
        against, in_favour = reasons(model, explanation, applicant.record)
        client = db.session.get(Client, sk_id_curr)
        try:
            request_review(db.session, client, current_user, form.applicant_view.data,
                           str(model.version), explanation,
                           reason_sentences(reason_texts(against), reason_texts(in_favour)),
                           {"protected_attributes": list(model.protected)})
            db.session.commit()
        except ReviewError as exc:
            db.session.rollback()
            status = 409 if exc.code == "pending" else 422
            error = _("Un réexamen de ce dossier est déjà en attente.") if exc.code == "pending" \
                else _("Le point de vue du demandeur est trop long (4 000 caractères au plus).")
        else:
            if not wants_partial():
                return redirect(url_for("credit.client_page", sk_id_curr=sk_id_curr,
                                        _anchor="review"), code=303)
            form = ReviewRequestForm(formdata=None)
    section = sections.get("review")
    html = section_html(section, applicant, review_view(applicant, form, error, status=status))
    return section_response(section, applicant, html, status)
