"""Access control, in one place.

Every view declares who may call it with one of the decorators below; the app refuses to
start when a view declares nothing (:func:`check_every_view_declares_access`), so that a new
route cannot be forgotten open. One ``before_request`` hook (:func:`enforce_access`) applies
the declarations:

- :func:`public`: anyone (the login page, the language switch, the OpenAPI document);
- :func:`roles_required`: a signed-in user with one of the roles (session cookie);
- :func:`token_required`: an API caller with a valid bearer token (never the session
  cookie, so that the JSON API needs no CSRF token and cannot be driven by a forged form).

Anonymous page requests are sent to the login page; anonymous htmx requests get a 401 with
``HX-Redirect`` (htmx then loads the login page); API requests get a JSON 401.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, abort, current_app, g, jsonify, make_response, redirect, request, url_for
from flask_login import current_user

from ..extensions import db
from .models import ROLES

#: Endpoints owned by other features that carry no decorator: they are public by design.
PUBLIC_ENDPOINTS = frozenset({"static", "health.healthz"})
_ATTRIBUTE = "_pad_access"


def public(view: Callable) -> Callable:
    """Anyone may call this view."""
    setattr(view, _ATTRIBUTE, ("public", ()))
    return view


def roles_required(*roles: str) -> Callable[[Callable], Callable]:
    """A signed-in user with one of ``roles`` (all roles when none is named) may call it."""
    unknown = set(roles) - set(ROLES)
    if unknown:
        raise ValueError(f"unknown role(s): {sorted(unknown)}")

    def decorate(view: Callable) -> Callable:
        setattr(view, _ATTRIBUTE, ("session", tuple(roles) or ROLES))
        return view

    return decorate


def token_required(*roles: str) -> Callable[[Callable], Callable]:
    """An API caller with a valid bearer token of one of ``roles`` may call it."""

    def decorate(view: Callable) -> Callable:
        setattr(view, _ATTRIBUTE, ("token", tuple(roles) or ROLES))
        return view

    return decorate


def access_rule(app: Flask, endpoint: str) -> tuple[str, tuple[str, ...]] | None:
    """The declared rule of an endpoint (``None`` when it declares nothing)."""
    if endpoint in PUBLIC_ENDPOINTS:
        return ("public", ())
    view = app.view_functions.get(endpoint)
    return getattr(view, _ATTRIBUTE, None)


def check_every_view_declares_access(app: Flask) -> None:
    """Refuse to start when a view has no access declaration."""
    missing = sorted(e for e in app.view_functions if access_rule(app, e) is None)
    if missing:
        raise RuntimeError(f"views without an access rule: {', '.join(missing)}")


def _is_htmx() -> bool:
    return request.headers.get("HX-Request") == "true"


def _bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def _api_unauthorised(message: str, status: int = 401) -> Any:
    response = jsonify({"error": message, "status": status})
    response.status_code = status
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="api"'
    return response


def enforce_access() -> Any:
    """``before_request``: apply the endpoint's declared rule."""
    if request.endpoint is None:  # no route: the 404 handler answers
        return None
    rule = access_rule(current_app, request.endpoint)
    if rule is None:  # cannot happen after the start-up check; deny if it does
        abort(403)
    kind, roles = rule
    if kind == "public":
        return None
    if kind == "token":
        from .service import user_for_token

        token = _bearer_token()
        user = user_for_token(db.session, token) if token else None
        if user is None:
            return _api_unauthorised("a valid bearer token is required "
                                     "(Authorization: Bearer <token>)")
        if user.role not in roles:
            return _api_unauthorised("this token's role may not call this endpoint", 403)
        db.session.commit()  # records last_used_at
        g.api_user = user
        return None
    if not current_user.is_authenticated:
        login_url = url_for("accounts.login", next=_safe_next(request.full_path))
        if _is_htmx():
            response = make_response("", 401)
            response.headers["HX-Redirect"] = url_for("accounts.login")
            return response
        return redirect(login_url)
    if current_user.role not in roles:
        abort(403)
    return None


def _safe_next(target: str | None) -> str | None:
    """Keep only same-site relative paths (no open redirect through ``next``, no header
    injection: a control character or a space refuses the target)."""
    if not target or len(target) > 2000:
        return None
    if any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in target):
        return None
    target = target.rstrip("?")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target:
        return None
    return target


safe_next = _safe_next
