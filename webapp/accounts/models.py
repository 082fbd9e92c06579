"""Advisors and admins, and the bearer tokens other systems use for the JSON API."""

from __future__ import annotations

from datetime import UTC, datetime

from flask_login import UserMixin
from sqlalchemy import Boolean, CheckConstraint, DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db

#: Every role; access rules name them (``webapp/auth/access.py``).
ROLES: tuple[str, ...] = ("advisor", "admin")


def utcnow() -> datetime:
    """Timezone-aware now, as a callable default (never a value frozen at import)."""
    return datetime.now(UTC)


class User(UserMixin, db.Model):
    """A person who signs in to the portal. The password is stored only as a salted hash."""

    __tablename__ = "users"
    __table_args__ = (CheckConstraint("role IN ('advisor', 'admin')", name="ck_users_role"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True, index=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    #: Every session carries the generation it was opened under; bumping it ends them all
    #: (logout, password change or reset, role change, deactivation).
    session_generation: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    tokens: Mapped[list[ApiToken]] = relationship(back_populates="user",
                                                  cascade="all, delete-orphan")

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return bool(self.active)

    def get_id(self) -> str:
        """The session's user reference: the id and the session generation (Flask-Login keeps
        it in the signed cookie; a bumped generation no longer matches)."""
        return f"{self.id}.{self.session_generation or 0}"

    @property
    def is_admin(self) -> bool:
        """Whether the user holds the admin role."""
        return self.role == "admin"

    def __repr__(self) -> str:
        return f"<User {self.email} ({self.role})>"


class ApiToken(db.Model):
    """A bearer token for the JSON API. Only its SHA-256 is stored: it is shown once."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)

    user: Mapped[User] = relationship(back_populates="tokens")
