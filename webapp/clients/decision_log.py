"""The decision log: an append-only trace of every explanation given to an applicant.

Each time an advisor opens an explanation, runs a what-if, prints the explanation sheet, or
a review is asked for or decided, one row keeps who, when, which application version, model
version, threshold, probability, decision and the reasons shown. This module only *adds*
records and reads them: there is no update or delete path (and the model refuses them).
Recording is one INSERT in the caller's transaction; the caller commits.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from ..accounts.models import User
from .models import RECORD_ACTIONS, DecisionRecord
from .paging import Page

EXPORT_COLUMNS: tuple[str, ...] = (
    "id", "created_at", "user_email", "action", "sk_id_curr", "application_version",
    "model_version", "threshold", "probability", "decision", "reasons", "details")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def reason_sentences(against: Iterable[str], in_favour: Iterable[str]) -> list[str]:
    """The reasons as shown: sentences, the ones against first, each marked by direction."""
    return [f"− {sentence}" for sentence in against] + [f"+ {sentence}" for sentence in in_favour]


def record_decision(session: Session, *, user: User | None, action: str, sk_id_curr: int | None,
                    application_version: int | None, model_version: str | None,
                    threshold: float | None, probability: float | None,
                    decision: str | None, reasons: list[str] | None = None,
                    details: Mapping[str, Any] | None = None) -> DecisionRecord:
    """Add one record to the session (the caller commits). ``user`` is the signed-in user."""
    if action not in RECORD_ACTIONS:
        raise ValueError(f"unknown action {action!r}")
    row = DecisionRecord(
        user_id=getattr(user, "id", None), user_email=str(getattr(user, "email", "?")),
        action=action, sk_id_curr=sk_id_curr, application_version=application_version,
        model_version=None if model_version is None else str(model_version)[:64],
        threshold=_finite(threshold), probability=_finite(probability), decision=decision,
        reasons=json.dumps(list(reasons or []), ensure_ascii=False),
        details=json.dumps(dict(details or {}), ensure_ascii=False, default=str))
    session.add(row)
    return row


def _finite(value: float | None) -> float | None:
    if value is None:
        return None
    number = float(value)
    return number if math.isfinite(number) else None


@dataclass(frozen=True)
class RecordFilters:
    """Filters of the records list; ``None`` means "any". Dates are inclusive days (UTC)."""

    user_email: str | None = None
    sk_id_curr: int | None = None
    action: str | None = None
    decision: str | None = None
    date_from: date | None = None
    date_to: date | None = None

    def apply(self, query: Select) -> Select:
        """``query`` restricted to the records these filters keep."""
        if self.user_email:
            query = query.where(DecisionRecord.user_email == self.user_email.strip().lower())
        if self.sk_id_curr is not None:
            query = query.where(DecisionRecord.sk_id_curr == self.sk_id_curr)
        if self.action:
            query = query.where(DecisionRecord.action == self.action)
        if self.decision:
            query = query.where(DecisionRecord.decision == self.decision)
        if self.date_from:
            query = query.where(DecisionRecord.created_at
                                >= datetime.combine(self.date_from, time.min, UTC))
        if self.date_to:
            query = query.where(DecisionRecord.created_at
                                < datetime.combine(self.date_to + timedelta(days=1), time.min,
                                                   UTC))
        return query


#: One page of the decision records.
RecordPage = Page[DecisionRecord]


def search_records(session: Session, filters: RecordFilters, page: int = 1,
                   per_page: int = 50) -> RecordPage:
    """The ``page``-th page of the records kept by ``filters``, newest first."""
    page = max(1, page)
    total = session.scalar(filters.apply(select(func.count()).select_from(DecisionRecord)))
    query = (filters.apply(select(DecisionRecord))
             .order_by(DecisionRecord.created_at.desc(), DecisionRecord.id.desc())
             .offset((page - 1) * per_page).limit(per_page))
    return RecordPage(list(session.scalars(query)), int(total or 0), page, per_page)


def records_for_client(session: Session, sk_id_curr: int, limit: int = 20) -> list[DecisionRecord]:
    """The latest records about one client."""
    return list(session.scalars(select(DecisionRecord)
                                .where(DecisionRecord.sk_id_curr == sk_id_curr)
                                .order_by(DecisionRecord.id.desc()).limit(limit)))


def _cell(value: Any) -> str:
    """A CSV cell that a spreadsheet will not run as a formula (CSV injection)."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat()
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def export_csv(session: Session, filters: RecordFilters, batch: int = 1000) -> Iterator[str]:
    """The records kept by ``filters`` as CSV text, streamed in chunks (oldest first)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(EXPORT_COLUMNS)
    query = filters.apply(select(DecisionRecord)).order_by(DecisionRecord.id)
    for row in session.scalars(query.execution_options(yield_per=batch)):
        writer.writerow([_cell(getattr(row, name)) for name in EXPORT_COLUMNS])
        if buffer.tell() > 64 * 1024:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def parsed(row: DecisionRecord) -> dict[str, Any]:
    """The JSON columns of a record, decoded (for the templates)."""
    try:
        reasons = json.loads(row.reasons or "[]")
        details = json.loads(row.details or "{}")
    except ValueError:
        reasons, details = [], {}
    return {"reasons": reasons, "details": details}
