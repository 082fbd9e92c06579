"""The final decision of an application: what applies, shown first everywhere.

Policy: a decided human review's outcome is the application's final decision *for the
application version it was made on*. After an admin edit (a new version) the model's decision
of the new version applies again until a new review, and the pages say so. The model's own
decision stays available beside it.

``Client.final_decision`` stores it so that the list can filter and sort on it; the services
that import, edit, re-score and decide reviews keep it with :func:`refresh_final_decision`
(or set it equal to the model's decision when no review can apply, as the import does).
:func:`decision_status` gives a page everything it shows: final, model, which review decided
and whether an older review no longer applies. Nothing here commits.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from .models import Client, Review

DECIDED = ("confirmed", "overridden")


def deciding_review(session: Session, client: Client) -> Review | None:
    """The latest decided review made on the client's current version, or ``None``."""
    return session.scalar(
        select(Review).where(Review.sk_id_curr == client.sk_id_curr,
                             Review.application_version == client.version,
                             Review.status.in_(DECIDED))
        .order_by(Review.id.desc()).limit(1))


def refresh_final_decision(session: Session, client: Client) -> str | None:
    """Store ``client.final_decision`` from the rule above and return it.

    A plain UPDATE of that column alone: deciding a review is no edit of the application, so
    the optimistic version counter (``Client.version``, bumped by every ORM update of the row)
    must not move.
    """
    review = deciding_review(session, client)
    final = review.final_decision if review is not None else client.decision
    session.execute(update(Client.__table__).where(Client.sk_id_curr == client.sk_id_curr)
                    .values(final_decision=final))
    set_committed_value(client, "final_decision", final)
    return final


@dataclass(frozen=True)
class DecisionStatus:
    """What a page shows of an application's decision.

    ``final``: what applies; ``model``: the model's decision (live on the client page, stored
    elsewhere); ``review``: the decided review behind ``final`` (``None`` when the model's
    decision applies); ``outdated_review``: a decided review made on an earlier version, which
    no longer applies since the application was edited.
    """

    final: str | None
    model: str | None
    review: Review | None = None
    outdated_review: Review | None = None

    @property
    def by_review(self) -> bool:
        """Whether a human review decided the final decision."""
        return self.review is not None

    @property
    def overridden(self) -> bool:
        """Whether the reviewer reversed the model's decision."""
        return self.review is not None and self.review.status == "overridden"


def decision_status(session: Session, sk_id_curr: int | None, version: int | None,
                    model_decision: str | None) -> DecisionStatus:
    """The decision status of a stored application at ``version`` (a draft: the model's)."""
    if sk_id_curr is None:
        return DecisionStatus(model_decision, model_decision)
    latest = session.scalar(
        select(Review).where(Review.sk_id_curr == sk_id_curr, Review.status.in_(DECIDED))
        .order_by(Review.id.desc()).limit(1))
    if latest is None:
        return DecisionStatus(model_decision, model_decision)
    if latest.application_version == version:
        return DecisionStatus(latest.final_decision, model_decision, review=latest)
    current = session.scalar(
        select(Review).where(Review.sk_id_curr == sk_id_curr, Review.status.in_(DECIDED),
                             Review.application_version == version)
        .order_by(Review.id.desc()).limit(1))
    if current is not None:
        return DecisionStatus(current.final_decision, model_decision, review=current)
    return DecisionStatus(model_decision, model_decision, outdated_review=latest)
