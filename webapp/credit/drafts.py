"""Draft applications: an applicant entered by hand, explained before being saved.

A draft is stored server-side behind an unguessable id (256 bits, URL-safe): its URLs carry
nothing of the applicant (the signed token they used to carry could be read by anyone who
saw the URL). It expires after :data:`DRAFT_MAX_AGE` unless saved, and is forgotten a week
after its creation.

Saving is idempotent and closed by the database: the draft row is claimed by a conditional
``UPDATE ... WHERE saved_at IS NULL`` (a row lock: of two saves at once, the second waits, then
finds it claimed) and ``drafts.client_id`` is unique, so a draft becomes a client once; saving
it again answers with that client. Like every service, nothing here commits.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import (
    BigInteger,
    DateTime,
    ForeignKey,
    Index,
    LargeBinary,
    String,
    delete,
    func,
    select,
    text,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from ml.serving.credit import CreditModel

from ..accounts.models import User, utcnow
from ..clients.models import Client
from ..clients.storage import client_columns, decode_record, encode_record
from ..extensions import db

DRAFT_MAX_AGE = timedelta(hours=24)
FORGOTTEN_AFTER = timedelta(days=7)
FIRST_FREE_ID = 100001
#: PostgreSQL advisory lock taken while a save picks the next free ID (any constant of the
#: app's own): saves then take IDs one after the other instead of colliding. SQLite needs
#: none: the save's first write (claiming the draft) already holds its one write lock.
NEXT_ID_LOCK = 0x5041_4401
_DRAFT_ID = re.compile(r"^[A-Za-z0-9_-]{43}$")


class Draft(db.Model):
    """An application entered by hand, not saved as a client yet (``client_id`` once saved)."""

    __tablename__ = "drafts"
    __table_args__ = (Index("ix_drafts_created_at", "created_at"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    record: Mapped[bytes] = mapped_column(LargeBinary)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    client_id: Mapped[int | None] = mapped_column(BigInteger, unique=True)
    saved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class DraftIdTaken(RuntimeError):
    """Another application took the next free ID at the same moment: roll back and retry."""


@dataclass(frozen=True)
class SavedDraft:
    """The client a draft became, and whether this call created it."""

    sk_id_curr: int | None
    created: bool


def create_draft(session: Session, record: dict[str, Any], user: User) -> Draft:
    """Store a new draft (flushed) and forget those past :data:`FORGOTTEN_AFTER`."""
    session.execute(delete(Draft).where(Draft.created_at < datetime.now(UTC) - FORGOTTEN_AFTER))
    draft = Draft(id=secrets.token_urlsafe(32), record=encode_record(record),
                  created_by_id=user.id)
    session.add(draft)
    session.flush()
    return draft


def load_draft(session: Session, draft_id: str) -> Draft | None:
    """The draft, or ``None`` when the id is malformed, unknown or expired unsaved."""
    if not _DRAFT_ID.match(draft_id or ""):
        return None
    draft = session.get(Draft, draft_id)
    if draft is None:
        return None
    created = draft.created_at
    if created.tzinfo is None:  # SQLite gives naive datetimes back
        created = created.replace(tzinfo=UTC)
    if draft.saved_at is None and datetime.now(UTC) - created > DRAFT_MAX_AGE:
        return None
    return draft


def draft_record(draft: Draft) -> dict[str, Any]:
    """The applicant's raw record."""
    return decode_record(draft.record)


def save_draft(session: Session, draft: Draft, model: CreditModel | None,
               saved_by: User) -> SavedDraft:
    """Store the draft as a new client (next free ID) with its score, once.

    Returns the client and ``created=False`` when the draft was already saved (by this user
    or another, now or earlier). Raises :class:`DraftIdTaken` when a concurrent save of
    another application took the same ID (the caller rolls back and calls again).
    """
    claimed = session.execute(
        update(Draft).where(Draft.id == draft.id, Draft.saved_at.is_(None))
        .values(saved_at=datetime.now(UTC)).execution_options(synchronize_session=False))
    if claimed.rowcount != 1:
        session.expire(draft)
        return SavedDraft(session.scalar(select(Draft.client_id)
                                         .where(Draft.id == draft.id)), False)
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": NEXT_ID_LOCK})
    next_id = max((session.scalar(select(func.max(Client.sk_id_curr))) or 0) + 1, FIRST_FREE_ID)
    record = dict(draft_record(draft), SK_ID_CURR=next_id)
    explanation = model.explain(record) if model is not None else None
    session.add(Client(sk_id_curr=next_id, raw_record=encode_record(record),
                       probability=explanation.probability if explanation else None,
                       decision=explanation.decision if explanation else None,
                       # a new application has no review yet: the model's decision is final
                       final_decision=explanation.decision if explanation else None,
                       model_version=str(model.version) if model is not None else None,
                       source=f"form:{saved_by.email}"[:200], **client_columns(record)))
    try:
        session.flush()
        session.execute(update(Draft).where(Draft.id == draft.id).values(client_id=next_id)
                        .execution_options(synchronize_session=False))
    except IntegrityError:
        raise DraftIdTaken(next_id) from None
    return SavedDraft(next_id, True)
