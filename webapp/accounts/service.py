"""Accounts: create users, check passwords, issue and resolve API bearer tokens.

Passwords are hashed with werkzeug's scrypt (salted, memory-hard). API tokens are random
(256 bits); only their SHA-256 is stored, which is enough for a random secret and lets a
token be found by an indexed lookup.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from .models import ROLES, ApiToken, User

MIN_PASSWORD_LENGTH = 12
TOKEN_PREFIX = "pad_"
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
#: Compared against when the e-mail is unknown, so that a wrong e-mail and a wrong password
#: take the same time (no account enumeration by timing).
_DUMMY_HASH = generate_password_hash("not-a-real-password", method="scrypt")


class AccountError(ValueError):
    """A user cannot be created as asked (bad e-mail, weak password, duplicate, bad role)."""


def normalise_email(email: str) -> str:
    """E-mails are compared case-insensitively and without surrounding spaces."""
    return email.strip().lower()


def create_user(session: Session, email: str, password: str, role: str) -> User:
    """Add a user (the caller commits). Raises :class:`AccountError` with a clear message."""
    email = normalise_email(email)
    if not _EMAIL.match(email) or len(email) > 254:
        raise AccountError(f"not a valid e-mail address: {email!r}")
    if role not in ROLES:
        raise AccountError(f"role must be one of {', '.join(ROLES)}, not {role!r}")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"the password must have at least {MIN_PASSWORD_LENGTH} characters")
    if session.scalar(select(func.count()).select_from(User).where(User.email == email)):
        raise AccountError(f"a user with the e-mail {email} already exists")
    user = User(email=email, role=role, active=True,
                password_hash=generate_password_hash(password, method="scrypt"))
    session.add(user)
    return user


def authenticate(session: Session, email: str, password: str) -> User | None:
    """The active user with this e-mail and password, or ``None`` (same cost either way)."""
    user = session.scalar(select(User).where(User.email == normalise_email(email)))
    if user is None:
        check_password_hash(_DUMMY_HASH, password)
        return None
    if not check_password_hash(user.password_hash, password) or not user.active:
        return None
    user.last_login_at = datetime.now(UTC)
    return user


def _token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def issue_token(session: Session, user: User) -> str:
    """Create an API token for ``user`` and return it; it cannot be shown again."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    session.add(ApiToken(user=user, token_hash=_token_digest(token)))
    return token


def user_for_token(session: Session, token: str) -> User | None:
    """The active user holding this (unrevoked) token, or ``None``."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        return None
    row = session.scalar(select(ApiToken).where(ApiToken.token_hash == _token_digest(token)))
    if row is None or row.revoked or not row.user.active:
        return None
    row.last_used_at = datetime.now(UTC)
    return row.user


# --- administration of the team -------------------------------------------------------------

class LastAdminError(AccountError):
    """The change would leave no active admin to run the portal."""


def _active_admins(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(User)
                          .where(User.role == "admin", User.active.is_(True))) or 0


def _guard_last_admin(session: Session, user: User) -> None:
    if user.role == "admin" and user.active and _active_admins(session) <= 1:
        raise LastAdminError("this is the last active admin: make someone else admin first")


def change_role(session: Session, user: User, role: str) -> User:
    """Give ``user`` another role (never removing the last active admin)."""
    if role not in ROLES:
        raise AccountError(f"role must be one of {', '.join(ROLES)}, not {role!r}")
    if role != user.role and role != "admin":
        _guard_last_admin(session, user)
    user.role = role
    return user


def set_active(session: Session, user: User, active: bool) -> User:
    """Deactivate (cannot sign in, tokens refused) or reactivate ``user``."""
    if not active:
        _guard_last_admin(session, user)
    user.active = active
    return user


def reset_password(session: Session, user: User, password: str) -> User:
    """Set a new password; the user's API tokens are revoked (the caller commits)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"the password must have at least {MIN_PASSWORD_LENGTH} characters")
    user.password_hash = generate_password_hash(password, method="scrypt")
    for token in user.tokens:
        token.revoked = True
    return user
