"""Record, in the decision log, each explanation shown to an advisor (one INSERT)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask_login import current_user

from ml.serving.credit import CreditModel, Explanation

from ..clients.decision_log import reason_sentences, record_decision
from ..clients.final_decision import decision_status
from ..extensions import db
from .applicants import Applicant
from .explanations import Reason, reason_texts


def log_shown(applicant: Applicant, action: str, model: CreditModel, explanation: Explanation,
              against: list[Reason], in_favour: list[Reason],
              details: Mapping[str, Any] | None = None) -> None:
    """Add and commit the record of what ``current_user`` was just shown: the final decision
    first (with the model's in ``details`` when a human review decided it), except for a
    what-if, whose decision is the simulated one."""
    extra = dict(details or {})
    # The fields this model version was kept from seeing (audit of fair lending).
    extra["protected_attributes"] = list(model.protected)
    decision = explanation.decision
    if applicant.is_draft:
        extra["draft"] = True
    elif action != "what_if":
        status = decision_status(db.session, applicant.sk_id_curr, applicant.version,
                                 explanation.decision)
        if status.by_review:
            decision = status.final
            extra.update(model_decision=explanation.decision, review_id=status.review.id)
    record_decision(db.session, user=current_user, action=action,
                    sk_id_curr=applicant.sk_id_curr, application_version=applicant.version,
                    model_version=str(model.version), threshold=explanation.threshold,
                    probability=explanation.probability, decision=decision,
                    reasons=reason_sentences(reason_texts(against), reason_texts(in_favour)),
                    details=extra)
    db.session.commit()
