"""``/admin/reviews``: the human reviews applicants asked for; an admin decides each one."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..accounts.access import roles_required
from ..clients.decision_log import records_for_client
from ..clients.models import Review
from ..clients.reviews import ReviewError, decide_review, reviews
from ..extensions import db
from .blueprint import bp
from .forms import ReviewDecisionForm


@bp.get("/reviews", endpoint="reviews")
@roles_required("admin")
def reviews_list():
    """Pending reviews first, then the decided ones."""
    status = request.args.get("status", "")
    if status not in ("", "pending", "confirmed", "overridden"):
        status = ""
    return render_template("admin/reviews.html", items=reviews(db.session, status or None),
                           status=status)



def _review_or_404(review_id: int) -> Review:
    review = db.session.get(Review, review_id)
    if review is None:
        abort(404)
    return review


@bp.route("/reviews/<int:review_id>", methods=["GET", "POST"])
@roles_required("admin")
def review(review_id: int):
    """One review: the applicant's view, the model's decision, and the admin's decision."""
    item = _review_or_404(review_id)
    form = ReviewDecisionForm()
    status, error = 200, None
    if request.method == "POST":
        if not item.is_pending:
            status, error = 409, _("Ce réexamen a déjà été décidé : rien n'a été modifié.")
        elif form.validate():
            try:
                decide_review(db.session, item, current_user, form.outcome.data,
                              form.justification.data)
                db.session.commit()
            except ReviewError:
                db.session.rollback()
                status, error = 409, _("Ce réexamen a déjà été décidé : rien n'a été modifié.")
            else:
                flash(_("Réexamen du dossier %(id)s enregistré.", id=item.sk_id_curr), "info")
                return redirect(url_for("admin.reviews"), code=303)
        else:
            status = 422
    history = records_for_client(db.session, item.sk_id_curr, limit=10)
    return render_template("admin/review.html", review=item, form=form, error=error,
                           history=history), status
