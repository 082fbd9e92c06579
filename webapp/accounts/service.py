"""Accounts: create users, check passwords, issue and resolve API bearer tokens, administer
the team.

Passwords are hashed with werkzeug's scrypt (salted, memory-hard) after the policy of
``passwords.py``. E-mail addresses are checked by ``email-validator`` (a maintained
implementation of the RFCs) and kept to ASCII, lower case: no NUL, no right-to-left override,
no markup, no look-alike letter can make an address pass for another. API tokens are random
(256 bits); only their SHA-256 is stored, which is enough for a random secret and lets a
token be found by an indexed lookup.

The team's invariants hold under concurrency: there is always an active admin (a database
trigger, plus a locking read before the check on PostgreSQL), and ending a user's sessions is
an atomic increment (``sessions.end_all_sessions``).
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from ..inputs import has_control_characters
from .models import ROLES, ApiToken, User
from .passwords import MAX_LENGTH, MIN_LENGTH, normalise_password, password_problem
from .sessions import end_all_sessions

MIN_PASSWORD_LENGTH = MIN_LENGTH
MAX_EMAIL_LENGTH = 254
TOKEN_PREFIX = "pad_"
#: Compared against when the e-mail is unknown, so that a wrong e-mail and a wrong password
#: take the same time (no account enumeration by timing).
_DUMMY_HASH = generate_password_hash("not-a-real-password", method="scrypt")


class AccountError(ValueError):
    """A user cannot be created or changed as asked. ``code`` says why, for the views'
    messages: ``email``, ``duplicate``, ``role``, or a password policy code."""

    def __init__(self, message: str, code: str = "invalid") -> None:
        super().__init__(message)
        self.code = code


def normalise_email(email: str) -> str:
    """E-mails are compared case-insensitively and without surrounding spaces."""
    return email.strip().lower()


def valid_email(email: str) -> str:
    """The address, normalised (lower case), or :class:`AccountError` (code ``email``).

    Syntax per ``email-validator`` (no deliverability look-up: no network), ASCII only,
    at most 254 characters.
    """
    address = normalise_email(email or "")
    if has_control_characters(email or "") or not address.isascii() \
            or len(address) > MAX_EMAIL_LENGTH:
        raise AccountError(f"not a valid e-mail address: {address!r}", "email")
    try:
        checked = validate_email(address, check_deliverability=False, allow_smtputf8=False)
    except EmailNotValidError as exc:
        raise AccountError(f"not a valid e-mail address: {address!r} ({exc})", "email") \
            from None
    return checked.normalized.lower()


#: The policy's refusals in English, for the command line (views translate the codes).
_POLICY_TEXT = {
    "too_short": f"the password must have at least {MIN_LENGTH} characters",
    "too_long": f"the password must have at most {MAX_LENGTH} characters",
    "control": "the password holds a control character (NUL, line break, ...)",
    "repetitive": "the password repeats the same characters",
    "sequence": "the password is a run of characters (abcdef..., 123456...)",
    "common": "the password is among the most common leaked passwords",
    "email": "the password must not contain the e-mail address",
}


def check_new_password(password: str, email: str | None = None) -> str:
    """The password to hash (NFC), or :class:`AccountError` with the policy's code."""
    problem = password_problem(password, email)
    if problem is not None:
        raise AccountError(_POLICY_TEXT.get(problem, "password refused"), problem)
    return normalise_password(password)


def _hash(password: str) -> str:
    return generate_password_hash(password, method="scrypt")


def create_user(session: Session, email: str, password: str, role: str) -> User:
    """Add a user (the caller commits). Raises :class:`AccountError` with a clear message."""
    email = valid_email(email)
    if role not in ROLES:
        raise AccountError(f"role must be one of {', '.join(ROLES)}, not {role!r}", "role")
    secret = check_new_password(password, email)
    if session.scalar(select(func.count()).select_from(User).where(User.email == email)):
        raise AccountError(f"a user with the e-mail {email} already exists", "duplicate")
    user = User(email=email, role=role, active=True, password_hash=_hash(secret))
    session.add(user)
    try:
        session.flush()  # the unique index decides between two at once (the caller rolls back)
    except IntegrityError:
        raise AccountError(f"a user with the e-mail {email} already exists", "duplicate") \
            from None
    return user


def authenticate(session: Session, email: str, password: str) -> User | None:
    """The active user with this e-mail and password, or ``None`` (same cost either way)."""
    user = session.scalar(select(User).where(User.email == normalise_email(email)))
    if user is None:
        check_password_hash(_DUMMY_HASH, password)
        return None
    if not password_matches(user, password) or not user.active:
        return None
    user.last_login_at = datetime.now(UTC)
    return user


def password_matches(user: User, password: str) -> bool:
    """Whether ``password`` is the user's (as typed, or NFC-normalised as hashed since the
    password policy)."""
    normalised = normalise_password(password)
    if check_password_hash(user.password_hash, normalised):
        return True
    return normalised != password and check_password_hash(user.password_hash, password)


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


def _lock_active_admins(session: Session) -> list[int]:
    """The active admins' IDs, their rows locked until the transaction ends on PostgreSQL
    (``FOR UPDATE``; SQLite ignores it and serialises writers instead)."""
    return list(session.scalars(select(User.id).where(User.role == "admin",
                                                      User.active.is_(True))
                                .with_for_update()))


def _guard_last_admin(session: Session, user: User) -> None:
    """Refuse before writing when ``user`` is the last active admin (a clear message); the
    database trigger refuses what a concurrent change would still get past this check."""
    if user.role == "admin" and user.active:
        others = [i for i in _lock_active_admins(session) if i != user.id]
        if not others:
            raise LastAdminError("this is the last active admin: make someone else admin first",
                                 "last_admin")


def _flush_team_change(session: Session) -> None:
    """Write the change; the trigger refuses it if another admin left meanwhile (the caller
    rolls back on the error). No SAVEPOINT: pysqlite would commit on its release."""
    try:
        session.flush()
    except IntegrityError:  # the trigger: another admin left at the same moment
        raise LastAdminError("this is the last active admin: make someone else admin first",
                             "last_admin") from None


def change_role(session: Session, user: User, role: str) -> User:
    """Give ``user`` another role (never removing the last active admin); their sessions
    end, so that the new role applies from the next sign-in."""
    if role not in ROLES:
        raise AccountError(f"role must be one of {', '.join(ROLES)}, not {role!r}", "role")
    if role == user.role:
        return user
    if role != "admin":
        _guard_last_admin(session, user)
    user.role = role
    _flush_team_change(session)
    end_all_sessions(session, user)
    return user


def set_active(session: Session, user: User, active: bool) -> User:
    """Deactivate (cannot sign in, sessions ended, API tokens revoked for good) or
    reactivate ``user`` (who signs in again; old sessions and tokens stay dead)."""
    if not active:
        _guard_last_admin(session, user)
        session.execute(update(ApiToken).where(ApiToken.user_id == user.id)
                        .values(revoked=True).execution_options(synchronize_session="fetch"))
    user.active = active
    _flush_team_change(session)
    end_all_sessions(session, user)
    return user


def reset_password(session: Session, user: User, password: str) -> User:
    """An admin sets a new password: the user's sessions end and API tokens are revoked
    (the caller commits). :class:`AccountError` when the policy refuses it."""
    user.password_hash = _hash(check_new_password(password, user.email))
    for token in user.tokens:
        token.revoked = True
    end_all_sessions(session, user)
    return user


def change_own_password(session: Session, user: User, current: str, new: str) -> User:
    """The user changes their password: the current one is checked, every session of theirs
    ends (the caller opens a fresh one for this browser). :class:`AccountError` codes:
    ``wrong_password``, ``same_password``, or the policy's."""
    if not password_matches(user, current):
        raise AccountError("the current password is not right", "wrong_password")
    secret = check_new_password(new, user.email)
    if password_matches(user, secret):
        raise AccountError("the new password is the current one", "same_password")
    user.password_hash = _hash(secret)
    end_all_sessions(session, user)
    return user
