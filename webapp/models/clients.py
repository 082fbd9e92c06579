"""Applications awaiting a decision, imported from Kaggle-format CSVs or entered by hand.

The descriptive fields that the list filters on and the identity card shows are columns;
the full raw application (121 Kaggle fields) is kept as compressed JSON in ``raw_record``
(about 600 bytes instead of 2.4 kB), so that the model can be run on it again. The
probability and decision are precomputed at import for filtering the list, with the version
of the model that produced them; the client page always scores live.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    Float,
    Index,
    Integer,
    LargeBinary,
    String,
)
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .users import utcnow


class Client(db.Model):
    """One application, identified by Home Credit's ``SK_ID_CURR``."""

    __tablename__ = "clients"
    __table_args__ = (
        CheckConstraint("decision IS NULL OR decision IN ('accepted', 'refused')",
                        name="ck_clients_decision"),
        Index("ix_clients_decision_probability", "decision", "probability"),
        Index("ix_clients_probability", "probability"),
    )

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
    decision: Mapped[str | None] = mapped_column(String(8))
    model_version: Mapped[str | None] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(200), default="import")
    imported_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    #: The application's version: 1 at import, +1 at each admin edit. SQLAlchemy checks it
    #: on every UPDATE (``version_id_col``), so two concurrent edits cannot both win.
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")

    __mapper_args__ = {"version_id_col": version}

    def __repr__(self) -> str:
        return f"<Client {self.sk_id_curr}>"
