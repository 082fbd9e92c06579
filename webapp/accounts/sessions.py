"""Signed-in sessions that the server can end.

The session cookie is signed, so a copy of it used to stay valid for its whole lifetime,
from any browser, whatever happened on the server. Three checks now end a session:

- **revocation**: the cookie names the user *and* the user's ``session_generation`` at
  sign-in (``User.get_id()``); :func:`end_all_sessions` bumps the generation (logout, a
  password change or reset, a role change, a deactivation), so that every session of that
  user, copied or not, stops matching at its next request;
- **idle timeout** (``PAD_SESSION_IDLE_SECONDS``): the time of the last request is kept in
  the cookie (refreshed at most once a minute); a cookie older than that is refused;
- **absolute lifetime** (``PAD_SESSION_LIFETIME_SECONDS``): counted from the sign-in,
  whatever the activity.

A deactivated user's sessions end too (the loader refuses inactive users).
"""

from __future__ import annotations

import time

from flask import current_app, flash, session
from flask_babel import gettext as _
from flask_login import login_user
from sqlalchemy.orm import Session

from ..extensions import db
from .models import User

SIGNED_IN_AT = "_signed_in_at"
SEEN_AT = "_seen_at"
#: How stale the "last seen" stamp may get before it is rewritten (one cookie per minute).
_SEEN_RESOLUTION = 60


def _parse(reference: str) -> tuple[int, int] | None:
    user_id, dot, generation = reference.partition(".")
    for part in (user_id, generation):
        if not (part.isascii() and part.isdigit()) or len(part) > 9:
            return None
    return int(user_id), int(generation)


def _expired(now: float) -> bool:
    signed_in, seen = session.get(SIGNED_IN_AT), session.get(SEEN_AT)
    if not isinstance(signed_in, int | float) or not isinstance(seen, int | float):
        return True
    config = current_app.config
    return (now - signed_in > config["PAD_SESSION_LIFETIME_SECONDS"]
            or now - seen > config["PAD_SESSION_IDLE_SECONDS"])


def load_session_user(reference: str) -> User | None:
    """Flask-Login's user loader: the user of a live session, or ``None`` (anonymous).

    ``reference`` is what :meth:`User.get_id` stored at sign-in (``"<id>.<generation>"``).
    """
    parsed = _parse(reference)
    if parsed is None:
        return None
    user_id, generation = parsed
    now = time.time()
    if _expired(now):
        session.pop("_user_id", None)
        flash(_("Votre session a expiré : reconnectez-vous."), "info")
        return None
    user = db.session.get(User, user_id)
    if user is None or not user.active or user.session_generation != generation:
        session.pop("_user_id", None)
        return None
    if now - session[SEEN_AT] >= _SEEN_RESOLUTION:
        session[SEEN_AT] = int(now)
    return user


def start_session(user: User) -> None:
    """Sign ``user`` in on this browser with a fresh session (the language is kept)."""
    language = session.get("lang")
    session.clear()
    if language:
        session["lang"] = language
    login_user(user)
    now = int(time.time())
    session[SIGNED_IN_AT] = now
    session[SEEN_AT] = now


def session_values(user: User, now: float | None = None) -> dict[str, object]:
    """The cookie's content for a session of ``user`` opened at ``now`` (for tests and
    tools that sign a browser in without the form)."""
    stamp = int(time.time() if now is None else now)
    return {"_user_id": user.get_id(), "_fresh": True, SIGNED_IN_AT: stamp, SEEN_AT: stamp}


def end_all_sessions(db_session: Session, user: User) -> None:
    """End every session of ``user`` (flushed; the caller commits). An atomic increment, so
    that two revocations at once never count as one."""
    user.session_generation = User.session_generation + 1
    db_session.flush()
    db_session.refresh(user, ["session_generation"])
