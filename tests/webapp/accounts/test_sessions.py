"""Sessions the server can end: a session cookie copied before a logout, a password change or
reset, a deactivation or a role change no longer works, from any browser; idle and absolute
limits end a session; a reactivated user's old sessions and API tokens stay dead."""

from __future__ import annotations

import itertools
import re
import time
import uuid

import pytest

from webapp.accounts.models import User

_CSRF = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')
_ADDRESSES = (f"10.60.{a}.{b}" for a, b in itertools.product(range(256), range(1, 255)))


@pytest.fixture
def person(db, password):
    """A fresh advisor: ``(email, id)``."""
    from webapp.accounts.service import create_user

    email = f"session.{uuid.uuid4().hex[:10]}@example.com"
    user = create_user(db.session, email, password, "advisor")
    db.session.commit()
    return email, user.id


def _sign_in(app, email: str, password: str):
    browser = app.test_client()
    token = _CSRF.search(browser.get("/login").get_data(as_text=True)).group(1)
    response = browser.post("/login", data={"email": email, "password": password,
                                            "csrf_token": token},
                            environ_base={"REMOTE_ADDR": next(_ADDRESSES)})
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    return browser


def _replay(app, browser):
    """Another browser with a copy of ``browser``'s session cookie."""
    copy = app.test_client()
    copy.set_cookie("session", browser.get_cookie("session").value)
    return copy


def _signed_in(browser) -> bool:
    return browser.get("/").status_code == 200


def _token(browser, url: str = "/") -> str:
    page = browser.get(url).get_data(as_text=True)
    return (_CSRF.search(page) or re.search(r'"X-CSRFToken": "([^"]+)"', page)).group(1)


def test_a_cookie_copied_before_logout_is_dead_after_it(app, person, password):
    browser = _sign_in(app, person[0], password)
    stolen = _replay(app, browser)
    assert _signed_in(stolen)  # a live copy works, as any cookie does
    other_device = _sign_in(app, person[0], password)
    browser.post("/logout", data={"csrf_token": _token(browser)})
    assert not _signed_in(_replay(app, browser)) and not _signed_in(stolen)
    assert not _signed_in(other_device)  # logout ends every session of the user


def test_a_password_change_ends_the_other_sessions(app, person, password):
    browser = _sign_in(app, person[0], password)
    elsewhere = _sign_in(app, person[0], password)
    stolen = _replay(app, browser)
    new = "a brand new passphrase for me"
    response = browser.post("/compte/mot-de-passe", data={
        "csrf_token": _token(browser, "/compte/mot-de-passe"), "current": password, "new": new,
        "confirm": new})
    assert response.status_code == 303
    assert _signed_in(browser)  # this browser goes on, with a fresh session
    assert not _signed_in(elsewhere) and not _signed_in(stolen)
    with pytest.raises(AssertionError):
        _sign_in(app, person[0], password)  # the old password is refused
    assert _signed_in(_sign_in(app, person[0], new))


@pytest.mark.parametrize("fields, problem", [
    ({"current": "not my password at all", "new": "another long passphrase"},
     "Mot de passe actuel incorrect"),
    ({"new": "password1234"}, "les plus courants"),
    ({"new": "short"}, "Au moins 12 caractères"),
    ({"new": "\x00" * 12}, "caractère de contrôle"),
    ({"new": "aaaaaaaaaaaaaaaa"}, "répète"),
    ({"new": "abcdefghijklmnop"}, "suite de caractères"),
    ({"new": "another long passphrase", "confirm": "another long passphrasf"}, "diffèrent"),
])
def test_a_refused_password_change_says_why_and_changes_nothing(app, db, person, password,
                                                                 fields, problem):
    browser = _sign_in(app, person[0], password)
    before = db.session.get(User, person[1]).password_hash
    data = {"current": password, "confirm": fields.get("new", ""), **fields}
    response = browser.post("/compte/mot-de-passe",
                            data={"csrf_token": _token(browser, "/compte/mot-de-passe"), **data})
    assert response.status_code in (400, 422)
    assert problem in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(User, person[1]).password_hash == before
    assert _signed_in(browser)


def test_an_admin_reset_ends_the_sessions(app, person, password, admin_browser):
    browser = _sign_in(app, person[0], password)
    admin, token = admin_browser
    response = admin.post(f"/admin/users/{person[1]}/password",
                          data={"csrf_token": token,
                                f"u{person[1]}-password": "handed over passphrase"})
    assert response.status_code == 303
    assert not _signed_in(browser) and not _signed_in(_replay(app, browser))


def test_deactivation_then_reactivation_revives_neither_sessions_nor_tokens(
        app, db, person, password, admin_browser):
    from webapp.accounts.service import issue_token

    browser = _sign_in(app, person[0], password)
    api_token = issue_token(db.session, db.session.get(User, person[1]))
    db.session.commit()
    api = app.test_client()
    assert api.get("/api/v1/openapi.json").status_code == 200
    headers = {"Authorization": f"Bearer {api_token}"}
    assert api.post("/api/v1/score", json={}, headers=headers).status_code == 422  # accepted
    admin, token = admin_browser
    for action in ("deactivate", "reactivate"):
        assert admin.post(f"/admin/users/{person[1]}/{action}",
                          data={"csrf_token": token}).status_code == 303
    assert not _signed_in(browser) and not _signed_in(_replay(app, browser))
    assert api.post("/api/v1/score", json={}, headers=headers).status_code == 401
    assert _signed_in(_sign_in(app, person[0], password))  # a new sign-in works


def test_a_role_change_ends_the_sessions(app, person, password, admin_browser):
    browser = _sign_in(app, person[0], password)
    admin, token = admin_browser
    assert admin.post(f"/admin/users/{person[1]}/role",
                      data={"csrf_token": token, "role": "admin"}).status_code == 303
    assert not _signed_in(browser)
    promoted = _sign_in(app, person[0], password)
    assert promoted.get("/admin/").status_code == 200  # the new role from the next sign-in


@pytest.mark.parametrize("stamp, limit", [("_seen_at", "PAD_SESSION_IDLE_SECONDS"),
                                          ("_signed_in_at", "PAD_SESSION_LIFETIME_SECONDS")])
def test_idle_and_absolute_limits_end_a_session(app, person, password, stamp, limit):
    browser = _sign_in(app, person[0], password)
    with browser.session_transaction() as session:
        session[stamp] = int(time.time()) - app.config[limit] - 5
        if stamp == "_signed_in_at":
            session["_seen_at"] = int(time.time())  # active all along: still too old
    response = browser.get("/")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    assert "Votre session a expiré" in browser.get("/login").get_data(as_text=True)


def test_a_session_within_its_limits_goes_on_and_is_refreshed(app, person, password):
    browser = _sign_in(app, person[0], password)
    almost = int(time.time()) - app.config["PAD_SESSION_IDLE_SECONDS"] + 30
    with browser.session_transaction() as session:
        session["_seen_at"] = almost
    assert _signed_in(browser)
    with browser.session_transaction() as session:
        assert session["_seen_at"] > almost  # activity pushes the idle limit back


@pytest.mark.parametrize("reference", ["1", "2", "1.x", "².0", "1.0.0", "99999999999.0"])
def test_a_cookie_without_a_live_generation_is_anonymous(app, reference):
    browser = app.test_client()
    now = int(time.time())
    with browser.session_transaction() as session:
        session.update({"_user_id": reference, "_fresh": True, "_signed_in_at": now,
                        "_seen_at": now})
    assert not _signed_in(browser)


def test_sessions_are_settings(monkeypatch, tmp_path):
    from webapp.settings import load_settings

    monkeypatch.setenv("PAD_ENV", "testing")
    monkeypatch.setenv("PAD_SESSION_IDLE_SECONDS", "600")
    monkeypatch.setenv("PAD_SESSION_LIFETIME_SECONDS", "7200")
    settings = load_settings(tmp_path)
    assert settings["PAD_SESSION_IDLE_SECONDS"] == 600
    assert settings["PERMANENT_SESSION_LIFETIME"] == settings["PAD_SESSION_LIFETIME_SECONDS"] \
        == 7200
