"""Signing in and out: hashed passwords, clear failures, rate limit, safe redirects,
cookie flags, CSRF on every form."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select

from webapp.accounts.models import User

pytestmark = pytest.mark.db  # run on PostgreSQL too (scripts/test.sh)


def _login(browser, csrf_token, email, password, ip="10.0.0.1", next_url=None):
    token = csrf_token(browser)
    url = "/login" + (f"?next={next_url}" if next_url else "")
    return browser.post(url, data={"email": email, "password": password, "csrf_token": token},
                        environ_base={"REMOTE_ADDR": ip})


def test_login_then_search_page(client, csrf_token, user_emails, password):
    response = _login(client, csrf_token, user_emails["advisor"], password, ip="10.0.1.1")
    assert response.status_code == 302 and response.headers["Location"] == "/"
    page = client.get("/").get_data(as_text=True)
    assert "Rechercher un client" in page and user_emails["advisor"] in page


def test_wrong_password_says_so_without_telling_which(client, csrf_token, user_emails):
    response = _login(client, csrf_token, user_emails["advisor"], "wrong password!", "10.0.1.2")
    assert response.status_code == 401
    assert "Adresse e-mail ou mot de passe incorrect." in response.get_data(as_text=True)
    unknown = _login(client, csrf_token, "nobody@example.com", "wrong password!", "10.0.1.2")
    assert unknown.status_code == 401
    assert client.get("/").status_code == 302  # still anonymous


def test_empty_fields_get_messages_next_to_them(client, csrf_token):
    response = _login(client, csrf_token, "", "", "10.0.1.3")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'id="email-error"' in page and 'id="password-error"' in page


@pytest.fixture
def colleagues(db, password):
    """Three fresh accounts (the rate limits count per account): their e-mails."""
    from webapp.accounts.service import create_user

    emails = [f"{name}.{uuid.uuid4().hex[:8]}@example.com" for name in ("ana", "ben", "cy")]
    for email in emails:
        create_user(db.session, email, password, "advisor")
    db.session.commit()
    return emails


def test_failed_logins_are_limited_per_account(client, csrf_token, colleagues, password):
    """Ten failures on one account block it, from any address, right password included."""
    target = colleagues[0]
    for attempt in range(10):
        _login(client, csrf_token, target, "nope nope nope", f"10.0.2.{attempt + 10}")
    blocked = _login(client, csrf_token, target, password, "10.0.2.99")
    assert blocked.status_code == 429
    assert "Trop de tentatives" in blocked.get_data(as_text=True)


def test_colleagues_behind_one_address_do_not_lock_each_other_out(client, csrf_token,
                                                                   colleagues, password):
    office = "10.0.7.1"
    for _ in range(10):
        _login(client, csrf_token, colleagues[0], "nope nope nope", office)
    assert _login(client, csrf_token, colleagues[0], password, office).status_code == 429
    # the colleague at the same address still signs in with the right password
    other = _login(client, csrf_token, colleagues[1], password, office)
    assert other.status_code == 302


def test_one_address_trying_many_accounts_is_limited(app, client, csrf_token, colleagues,
                                                      password):
    """The address has its own, higher ceiling: spraying many accounts hits it."""
    ceiling = int(app.config["PAD_LOGIN_ADDRESS_RATE_LIMIT"].split()[0])
    sprayer = "10.0.8.1"
    for attempt in range(ceiling):
        _login(client, csrf_token, f"nobody{attempt}@example.com", "nope nope nope", sprayer)
    blocked = _login(client, csrf_token, colleagues[2], password, sprayer)
    assert blocked.status_code == 429
    assert _login(client, csrf_token, colleagues[2], password, "10.0.8.2").status_code == 302


def test_successful_logins_do_not_count(client, csrf_token, colleagues, password):
    for _ in range(12):
        browser = client.application.test_client()
        assert _login(browser, csrf_token, colleagues[1], password, "10.0.9.1").status_code \
            == 302


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "/\\evil"])
def test_next_cannot_leave_the_site(client, csrf_token, user_emails, password, target):
    response = _login(client, csrf_token, user_emails["advisor"], password, "10.0.3.1", target)
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_next_brings_back_to_the_asked_page(client, csrf_token, user_emails, password,
                                            seeded_ids):
    target = f"/clients/{seeded_ids[1]}"
    response = _login(client, csrf_token, user_emails["advisor"], password, "10.0.3.2", target)
    assert response.headers["Location"] == target


def test_login_without_csrf_token_is_refused(client, user_emails, password):
    response = client.post("/login", data={"email": user_emails["advisor"],
                                           "password": password},
                           environ_base={"REMOTE_ADDR": "10.0.4.1"})
    assert response.status_code == 400
    assert "jeton de sécurité" in response.get_data(as_text=True)
    assert client.get("/").status_code == 302


def test_logout_needs_a_post_with_csrf(login_as, csrf_token):
    browser = login_as("advisor")
    assert browser.get("/logout").status_code == 405
    assert browser.post("/logout").status_code == 400
    assert browser.get("/").status_code == 200
    response = browser.post("/logout", data={"csrf_token": csrf_token(browser)})
    assert response.status_code == 302
    assert browser.get("/").status_code == 302


def test_passwords_are_stored_hashed(db, password):
    hashes = db.session.scalars(select(User.password_hash)).all()
    assert hashes and all(h.startswith("scrypt:") and password not in h for h in hashes)


def test_inactive_user_cannot_sign_in(client, csrf_token, db, password):
    from webapp.accounts.service import create_user

    user = create_user(db.session, "gone@example.com", password, "advisor")
    user.active = False
    db.session.commit()
    response = _login(client, csrf_token, "gone@example.com", password, "10.0.5.1")
    assert response.status_code == 401


def test_session_cookie_is_httponly_and_samesite(client, csrf_token, user_emails, password):
    response = _login(client, csrf_token, user_emails["advisor"], password, "10.0.6.1")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_production_cookies_are_secure(monkeypatch, tmp_path):
    from webapp.settings import load_settings

    monkeypatch.setenv("PAD_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "x" * 40)
    settings = load_settings(tmp_path)
    assert settings["SESSION_COOKIE_SECURE"] and settings["REMEMBER_COOKIE_SECURE"]


def test_security_headers(client):
    response = client.get("/login")
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["Cache-Control"] == "no-store"


def test_hsts_in_production_only(app, client, monkeypatch, tmp_path):
    from webapp.settings import load_settings

    assert "Strict-Transport-Security" not in client.get("/login").headers
    monkeypatch.setenv("PAD_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "x" * 40)
    production = load_settings(tmp_path)
    monkeypatch.setitem(app.config, "PAD_HSTS_SECONDS", production["PAD_HSTS_SECONDS"])
    header = client.get("/login").headers["Strict-Transport-Security"]
    assert header == "max-age=31536000; includeSubDomains"


@pytest.mark.parametrize("target", ["/%0d%0aSet-Cookie:%20pwned=1", "/\r\nX: y"])
def test_a_line_break_in_next_is_refused_not_sent(client, csrf_token, user_emails, password,
                                                  target):
    response = _login(client, csrf_token, user_emails["admin"], password, "10.0.3.9", target)
    assert response.status_code in (302, 400)
    assert "pwned" not in response.headers.get("Location", "")
    assert "Set-Cookie: pwned" not in str(response.headers)
    language = client.post("/langue", data={"lang": "fr", "csrf_token": csrf_token(client),
                                            "next": "/\r\nSet-Cookie: pwned=1"})
    assert language.status_code == 302 and language.headers["Location"] == "/"
