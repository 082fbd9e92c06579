"""Team management: create users, change roles, deactivate, reset passwords; the last admin
stays; hashes are never shown."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from webapp.accounts.models import User

pytestmark = pytest.mark.db  # run on PostgreSQL too (scripts/test.sh)

PASSWORD = "a long enough passphrase"


def _user(db, email) -> User | None:
    db.session.expire_all()
    return db.session.scalar(select(User).where(User.email == email))


def _create(admin, token, email, role="advisor", password=PASSWORD):
    return admin.post("/admin/users", data={"csrf_token": token, "email": email, "role": role,
                                            "password": password})


def test_the_team_page_shows_no_secret(admin_browser, db, user_emails):
    admin, _ = admin_browser
    html = admin.get("/admin/users").get_data(as_text=True)
    assert user_emails["advisor"] in html
    hashed = _user(db, user_emails["advisor"]).password_hash
    assert hashed not in html and "scrypt" not in html


def test_create_change_role_deactivate_and_reset(admin_browser, client, db, password):
    admin, token = admin_browser
    email = "issue6.member@example.com"
    assert _create(admin, token, email).status_code == 303
    user = _user(db, email)
    assert user.role == "advisor" and user.active
    assert admin.post(f"/admin/users/{user.id}/role",
                      data={"csrf_token": token, "role": "admin"}).status_code == 303
    assert _user(db, email).role == "admin"
    # the new user signs in, then is deactivated: their open session ends
    browser = client
    login = browser.get("/login").get_data(as_text=True)
    import re
    csrf = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', login).group(1)
    browser.post("/login", data={"email": email, "password": PASSWORD, "csrf_token": csrf})
    assert browser.get("/").status_code == 200
    assert admin.post(f"/admin/users/{user.id}/deactivate",
                      data={"csrf_token": token}).status_code == 303
    assert not _user(db, email).active
    assert browser.get("/").status_code == 302  # sent back to the login page
    assert admin.post(f"/admin/users/{user.id}/reactivate",
                      data={"csrf_token": token}).status_code == 303
    old_hash = _user(db, email).password_hash
    assert admin.post(f"/admin/users/{user.id}/password",
                      data={"csrf_token": token, f"u{user.id}-password": "another fine passphrase"}
                      ).status_code == 303
    assert _user(db, email).password_hash != old_hash


@pytest.mark.parametrize("email,role,secret,message", [
    ("not-an-email", "advisor", PASSWORD, "Adresse e-mail invalide"),
    ("short@example.com", "advisor", "short", "Au moins 12 caractères"),
    ("role@example.com", "superuser", PASSWORD, "Not a valid choice"),
    ("", "advisor", PASSWORD, "Ce champ est obligatoire"),
    ("admin@example.com", "advisor", PASSWORD, "déjà cette adresse"),
    ("x" * 250 + "@example.com", "advisor", PASSWORD, "Field cannot be longer"),
])
def test_bad_new_users_are_refused(admin_browser, db, email, role, secret, message):
    admin, token = admin_browser
    count = len(db.session.scalars(select(User)).all())
    response = _create(admin, token, email, role, secret)
    assert response.status_code == 422
    assert 'class="error"' in response.get_data(as_text=True)
    assert len(db.session.scalars(select(User)).all()) == count


def test_the_last_admin_cannot_be_removed(admin_browser, db, user_emails):
    admin, token = admin_browser
    others = [u for u in db.session.scalars(select(User).where(User.role == "admin",
                                                              User.active.is_(True)))
              if u.email != user_emails["admin"]]
    for other in others:  # leave exactly one active admin
        other.active = False
    db.session.commit()
    me = _user(db, user_emails["admin"])
    demote = admin.post(f"/admin/users/{me.id}/role", data={"csrf_token": token,
                                                           "role": "advisor"})
    assert demote.status_code == 409 and "dernier administrateur" in demote.get_data(
        as_text=True)
    off = admin.post(f"/admin/users/{me.id}/deactivate", data={"csrf_token": token})
    assert off.status_code == 409
    me = _user(db, user_emails["admin"])
    assert me.role == "admin" and me.active


def test_bad_role_change_and_password_reset(admin_browser, db, user_emails):
    admin, token = admin_browser
    advisor = _user(db, user_emails["advisor"])
    bad_role = admin.post(f"/admin/users/{advisor.id}/role",
                          data={"csrf_token": token, "role": "root"})
    assert bad_role.status_code == 422 and _user(db, user_emails["advisor"]).role == "advisor"
    short = admin.post(f"/admin/users/{advisor.id}/password",
                       data={"csrf_token": token, f"u{advisor.id}-password": "short"})
    assert short.status_code == 422 and "Au moins 12 caractères" in short.get_data(as_text=True)
    assert admin.post(f"/admin/users/{advisor.id}/deactivate").status_code == 400  # no CSRF
    assert _user(db, user_emails["advisor"]).active
    assert admin.post("/admin/users/999999/role", data={"csrf_token": token,
                                                       "role": "advisor"}).status_code == 404
