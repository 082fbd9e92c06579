"""``/admin/``: the administration home, for admins only; each resource has its own module
(clients, import, jobs, users, decision records, reviews), registered on the same blueprint."""

from __future__ import annotations

from flask import render_template
from sqlalchemy import func, select

from ..accounts.access import roles_required
from ..accounts.models import User
from ..clients.models import Client, DecisionRecord, Review
from ..extensions import db
from .blueprint import bp


@bp.get("/")
@roles_required("admin")
def index():
    """What needs attention: pending reviews, and the size of the client base and team."""
    team = db.session.scalars(select(User).order_by(User.email)).all()
    client_count = db.session.scalar(select(func.count()).select_from(Client)) or 0
    pending = db.session.scalar(select(func.count()).select_from(Review)
                                .where(Review.status == "pending")) or 0
    record_count = db.session.scalar(select(func.count()).select_from(DecisionRecord)) or 0
    return render_template("admin/index.html", users=team, client_count=client_count,
                           pending_reviews=pending, record_count=record_count)


from . import clients, imports, jobs, records, reviews, users  # noqa: E402,F401  (their views)
