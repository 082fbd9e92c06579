"""Human review of an automated decision (GDPR Art. 22, EBA loan-origination guidelines).

An advisor records the applicant's view and asks for a review; an admin confirms or
overrides the model's decision with a written justification. Both steps add a decision
record. A client has at most one pending review at a time. The caller commits.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ml.serving.credit import Explanation

from ..accounts.models import User
from ..inputs import has_control_characters
from .decision_log import record_decision
from .final_decision import refresh_final_decision
from .models import Client, Review

MAX_TEXT = 4000
MIN_JUSTIFICATION = 20
OUTCOMES = ("confirm", "override")


class ReviewError(ValueError):
    """The review cannot be requested or decided as asked; ``code`` says why."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code


def opposite(decision: str) -> str:
    """The other decision."""
    return "accepted" if decision == "refused" else "refused"


def latest_review(session: Session, sk_id_curr: int) -> Review | None:
    """The client's most recent review, or ``None``."""
    return session.scalar(select(Review).where(Review.sk_id_curr == sk_id_curr)
                          .order_by(Review.id.desc()).limit(1))


def pending_review(session: Session, sk_id_curr: int) -> Review | None:
    """The client's pending review, or ``None``."""
    return session.scalar(select(Review).where(Review.sk_id_curr == sk_id_curr,
                                               Review.status == "pending").limit(1))


def reviews(session: Session, status: str | None = None, limit: int = 200) -> list[Review]:
    """Reviews, pending first then newest; optionally only one status."""
    query = select(Review)
    if status:
        query = query.where(Review.status == status)
    pending_first = (Review.status != "pending")
    return list(session.scalars(query.order_by(pending_first, Review.id.desc()).limit(limit)))


def _clean_text(text: str | None) -> str:
    """Trimmed text; a control character other than a tab or a line break is refused."""
    text = (text or "").strip()
    if has_control_characters(text, allow_line_breaks=True):
        raise ReviewError("control", "the text holds a control character")
    return text


def request_review(session: Session, client: Client, user: User, applicant_view: str,
                   model_version: str, explanation: Explanation, reasons: list[str],
                   details: Mapping[str, Any] | None = None) -> Review:
    """Record the applicant's view and ask for a review of the model's current decision
    (``reasons``: the sentences shown, as the decision log keeps them; ``details``: more
    for the decision record)."""
    view = _clean_text(applicant_view)
    if not view:
        raise ReviewError("empty", "the applicant's view is required")
    if len(view) > MAX_TEXT:
        raise ReviewError("too_long", f"at most {MAX_TEXT} characters")
    if pending_review(session, client.sk_id_curr) is not None:
        raise ReviewError("pending", "a review of this application is already pending")
    review = Review(sk_id_curr=client.sk_id_curr, application_version=client.version,
                    applicant_view=view, requested_by_id=user.id,
                    model_version=model_version, threshold=float(explanation.threshold),
                    probability=float(explanation.probability),
                    model_decision=explanation.decision, status="pending")
    session.add(review)
    try:
        session.flush()
    except IntegrityError:  # another request for this client won the race
        raise ReviewError("pending", "a review of this application is already pending") \
            from None
    record_decision(session, user=user, action="review_requested", sk_id_curr=client.sk_id_curr,
                    application_version=client.version, model_version=model_version,
                    threshold=explanation.threshold, probability=explanation.probability,
                    decision=explanation.decision,
                    reasons=reasons,
                    details={**(details or {}), "review_id": review.id,
                             "applicant_view": view})
    return review


def decide_review(session: Session, review: Review, admin: User, outcome: str,
                  justification: str) -> Review:
    """Confirm or override the model's decision, with a written justification."""
    text = _clean_text(justification)
    if not review.is_pending:
        raise ReviewError("decided", "this review has already been decided")
    if outcome not in OUTCOMES:
        raise ReviewError("outcome", "choose confirm or override")
    if len(text) < MIN_JUSTIFICATION:
        raise ReviewError("justification",
                          f"the justification needs at least {MIN_JUSTIFICATION} characters")
    if len(text) > MAX_TEXT:
        raise ReviewError("too_long", f"at most {MAX_TEXT} characters")
    status = "confirmed" if outcome == "confirm" else "overridden"
    final = review.model_decision if outcome == "confirm" else opposite(review.model_decision)
    # Conditional UPDATE: of two admins deciding at once, only the first one wins.
    result = session.execute(
        update(Review).where(Review.id == review.id, Review.status == "pending")
        .values(status=status, final_decision=final, justification=text,
                reviewed_by_id=admin.id, reviewed_at=datetime.now(UTC))
        .execution_options(synchronize_session=False))
    if result.rowcount != 1:
        raise ReviewError("decided", "this review has already been decided")
    session.refresh(review)
    client = session.get(Client, review.sk_id_curr)
    if client is not None:  # the decision applies to the version it was made on only
        refresh_final_decision(session, client)
    record_decision(session, user=admin, action="review_decided", sk_id_curr=review.sk_id_curr,
                    application_version=review.application_version,
                    model_version=review.model_version, threshold=review.threshold,
                    probability=review.probability, decision=review.final_decision,
                    details={"review_id": review.id, "outcome": review.status,
                             "model_decision": review.model_decision, "justification": text})
    return review
