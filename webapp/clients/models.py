"""The client records: applications awaiting a decision, their saved versions, the decision
records (an append-only trace of every explanation shown), the human reviews applicants asked
for, and the staging table a CSV import fills before it publishes its rows in one step.

An application is identified by Home Credit's ``SK_ID_CURR``. The descriptive fields the list
filters on and the identity card shows are columns; the full raw application (121 Kaggle
fields) is kept as compressed JSON in ``raw_record`` (about 600 bytes instead of 2.4 kB), so
that the model can be run on it again (``webapp.clients.storage``). The probability and
decision are precomputed at import for filtering the list, with the version of the model that
produced them; the client page always scores live. ``final_decision`` is what applies: the
outcome of a decided human review on the current version, else the model's decision.

A decision record is never changed or removed: the ORM refuses it here (mapper and session
events), the services offer no such path, and the migrations add database triggers. Records
keep the client's ID and the user's e-mail as plain values (no foreign key), so that they
survive the deletion of a client.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    event,
    text,
)
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from ..accounts.models import User, utcnow
from ..extensions import db


class ScoredApplication:
    """The columns of an application and its score, shared by ``clients`` and the import's
    staging table (which publishes its rows into ``clients`` column for column)."""

    sk_id_curr: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    contract_type: Mapped[str | None] = mapped_column(String(32))
    gender: Mapped[str | None] = mapped_column(String(8))
    income_type: Mapped[str | None] = mapped_column(String(32))
    education: Mapped[str | None] = mapped_column(String(48))
    family_status: Mapped[str | None] = mapped_column(String(32))
    housing_type: Mapped[str | None] = mapped_column(String(32))
    children: Mapped[int | None] = mapped_column(Integer)
    income_total: Mapped[float | None] = mapped_column(Float)
    credit_amount: Mapped[float | None] = mapped_column(Float)
    annuity: Mapped[float | None] = mapped_column(Float)
    goods_price: Mapped[float | None] = mapped_column(Float)
    days_birth: Mapped[int | None] = mapped_column(Integer)
    raw_record: Mapped[bytes] = mapped_column(LargeBinary)
    probability: Mapped[float | None] = mapped_column(Float)
    decision: Mapped[str | None] = mapped_column(String(8))  # the model's
    model_version: Mapped[str | None] = mapped_column(String(64))


class Client(ScoredApplication, db.Model):
    """One application, identified by Home Credit's ``SK_ID_CURR``."""

    __tablename__ = "clients"
    __table_args__ = (
        CheckConstraint("decision IS NULL OR decision IN ('accepted', 'refused')",
                        name="ck_clients_decision"),
        CheckConstraint("final_decision IS NULL OR final_decision IN ('accepted', 'refused')",
                        name="ck_clients_final_decision"),
        Index("ix_clients_decision_probability", "decision", "probability"),
        Index("ix_clients_final_decision_probability", "final_decision", "probability"),
        Index("ix_clients_probability", "probability"),
    )

    #: What applies: a decided review's outcome on this version, else the model's decision
    #: (kept by ``webapp.clients.final_decision``; the list filters and sorts on it).
    final_decision: Mapped[str | None] = mapped_column(String(8))
    source: Mapped[str] = mapped_column(String(200), default="import")
    imported_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    #: The application's version: 1 at import, +1 at each admin edit. SQLAlchemy checks it
    #: on every UPDATE (``version_id_col``), so two concurrent edits cannot both win.
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")

    __mapper_args__ = {"version_id_col": version}

    def __repr__(self) -> str:
        return f"<Client {self.sk_id_curr}>"

#: What an advisor did that showed an explanation (or a review step).
RECORD_ACTIONS: tuple[str, ...] = ("explanation", "what_if", "sheet", "review_requested",
                                   "review_decided")
REVIEW_STATUSES: tuple[str, ...] = ("pending", "confirmed", "overridden")


class ApplicationVersion(db.Model):
    """One saved state of a client's application, with the score it had then."""

    __tablename__ = "application_versions"
    __table_args__ = (
        Index("ix_application_versions_client_version", "sk_id_curr", "version", unique=True),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sk_id_curr: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("clients.sk_id_curr", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    raw_record: Mapped[bytes] = mapped_column(LargeBinary)
    probability: Mapped[float | None] = mapped_column(Float)
    decision: Mapped[str | None] = mapped_column(String(8))
    model_version: Mapped[str | None] = mapped_column(String(64))
    changed_fields: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[str] = mapped_column(String(254))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class DecisionRecord(db.Model):
    """Who saw which decision on which application version, and the reasons shown."""

    __tablename__ = "decision_records"
    __table_args__ = (
        CheckConstraint("action IN ('explanation', 'what_if', 'sheet', 'review_requested', "
                        "'review_decided')", name="ck_decision_records_action"),
        Index("ix_decision_records_created_at", "created_at"),
        Index("ix_decision_records_sk_id_curr", "sk_id_curr"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    user_id: Mapped[int | None] = mapped_column(Integer)
    user_email: Mapped[str] = mapped_column(String(254))
    action: Mapped[str] = mapped_column(String(20))
    sk_id_curr: Mapped[int | None] = mapped_column(BigInteger)  # None: an unsaved draft
    application_version: Mapped[int | None] = mapped_column(Integer)
    model_version: Mapped[str | None] = mapped_column(String(64))
    threshold: Mapped[float | None] = mapped_column(Float)
    probability: Mapped[float | None] = mapped_column(Float)
    decision: Mapped[str | None] = mapped_column(String(8))
    reasons: Mapped[str] = mapped_column(Text, default="[]")  # JSON list of sentences
    details: Mapped[str] = mapped_column(Text, default="{}")  # JSON (what-if changes, review)


class AppendOnlyError(RuntimeError):
    """Someone tried to change or delete a decision record."""


@event.listens_for(DecisionRecord, "before_update")
def _refuse_update(mapper: Any, connection: Any, target: DecisionRecord) -> None:
    raise AppendOnlyError("decision records are append-only: they cannot be changed")


@event.listens_for(DecisionRecord, "before_delete")
def _refuse_delete(mapper: Any, connection: Any, target: DecisionRecord) -> None:
    raise AppendOnlyError("decision records are append-only: they cannot be deleted")


@event.listens_for(Session, "do_orm_execute")
def _refuse_bulk_changes(state: Any) -> None:
    """``update(DecisionRecord)`` / ``delete(DecisionRecord)`` bypass the mapper events."""
    if (state.is_update or state.is_delete) and state.bind_mapper is not None \
            and state.bind_mapper.class_ is DecisionRecord:
        raise AppendOnlyError("decision records are append-only: no bulk update or delete")


class Review(db.Model):
    """An applicant contested the automated decision; an admin confirms or overrides it."""

    __tablename__ = "reviews"
    __table_args__ = (
        CheckConstraint("status IN ('pending', 'confirmed', 'overridden')",
                        name="ck_reviews_status"),
        CheckConstraint("model_decision IN ('accepted', 'refused')",
                        name="ck_reviews_model_decision"),
        CheckConstraint("final_decision IS NULL OR final_decision IN ('accepted', 'refused')",
                        name="ck_reviews_final_decision"),
        Index("ix_reviews_sk_id_curr", "sk_id_curr"),
        Index("ix_reviews_status", "status"),
        # At most one pending review per client, enforced by the database (both dialects).
        Index("uq_reviews_one_pending", "sk_id_curr", unique=True,
              sqlite_where=text("status = 'pending'"),
              postgresql_where=text("status = 'pending'")),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sk_id_curr: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("clients.sk_id_curr", ondelete="CASCADE"))
    application_version: Mapped[int] = mapped_column(Integer)
    applicant_view: Mapped[str] = mapped_column(Text)
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    requested_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    model_version: Mapped[str | None] = mapped_column(String(64))
    threshold: Mapped[float | None] = mapped_column(Float)
    probability: Mapped[float | None] = mapped_column(Float)
    model_decision: Mapped[str] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(12), default="pending")
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reviewed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    final_decision: Mapped[str | None] = mapped_column(String(8))
    justification: Mapped[str | None] = mapped_column(Text)

    requested_by: Mapped[User] = relationship(foreign_keys=[requested_by_id])
    reviewed_by: Mapped[User | None] = relationship(foreign_keys=[reviewed_by_id])

    @property
    def is_pending(self) -> bool:
        """Waiting for an admin."""
        return self.status == "pending"


class StagedClient(ScoredApplication, db.Model):
    """A row of a CSV import being written: the import fills this table in short transactions
    (one per chunk), then publishes its whole batch into ``clients`` in one statement
    (``webapp.clients.staging``), so that readers and writers wait milliseconds, not the
    import's duration. ``batch`` names the import; rows left by a failed one are removed."""

    __tablename__ = "clients_staging"

    batch: Mapped[str] = mapped_column(String(32), primary_key=True)
    source: Mapped[str] = mapped_column(String(200))
    imported_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
