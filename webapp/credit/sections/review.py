"""The human-review panel: the latest review of a stored application (pending, or decided
with the final decision) and the form by which an advisor records the applicant's view and
asks an admin for a review."""

from __future__ import annotations

from dataclasses import dataclass

from ...clients.models import Review
from ...clients.reviews import latest_review
from ...extensions import db
from ..applicants import Applicant
from ..forms import ReviewRequestForm
from .registry import SectionInput


@dataclass(frozen=True)
class ReviewView:
    """What the panel shows."""

    review: Review | None
    form: ReviewRequestForm
    error: str | None
    can_request: bool
    current_version: int | None
    status: int = 200


def review_view(applicant: Applicant, form: ReviewRequestForm | None = None,
                error: str | None = None, can_request: bool = True,
                status: int = 200) -> ReviewView:
    """The panel of a stored applicant, after a request when ``form``/``error`` are given."""
    return ReviewView(latest_review(db.session, applicant.sk_id_curr),
                      form or ReviewRequestForm(formdata=None), error, can_request,
                      applicant.version, status)


def build_review(section: SectionInput) -> ReviewView:
    """The panel; a review can be asked for only while the model can score the application."""
    return review_view(section.applicant, can_request=section.model is not None)
