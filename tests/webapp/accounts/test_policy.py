"""The account rules: e-mail addresses checked by email-validator and kept to plain ASCII (no
NUL, no right-to-left override, no markup, no look-alike letter passing for an existing
account), and the password policy (NIST SP 800-63B: length, no control character, not a
common or predictable password)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from webapp.accounts.models import User
from webapp.accounts.passwords import common_passwords, password_problem
from webapp.accounts.service import AccountError, valid_email


@pytest.mark.parametrize("email", [
    "admin@example.com\x00", "adm\x00in@example.com", "adm\u202ein@example.com",
    "<script>@example.com", '"<b>"@example.com', "\u0430dmin@example.com",  # Cyrillic а
    "admin@ex\u0430mple.com", "admin@example", "admin@localhost", "a..b@example.com",
    "admin@example.com\n", "x" * 250 + "@example.com", "", "@example.com", "admin@",
])
def test_hostile_addresses_are_refused(email):
    with pytest.raises(AccountError) as refused:
        valid_email(email)
    assert refused.value.code == "email"


@pytest.mark.parametrize("email, normal", [
    ("Jane.Doe@Example.COM", "jane.doe@example.com"),
    ("  advisor+team@bank.example.org ", "advisor+team@bank.example.org"),
])
def test_ordinary_addresses_are_normalised(email, normal):
    assert valid_email(email) == normal


@pytest.mark.parametrize("email", ["admin@example.com\u200b", "ADMIN@example.com",
                                   "admin@EXAMPLE.com ", "\u0430dmin@example.com"])
def test_no_new_account_can_pass_for_an_existing_one(admin_browser, db, email, user_emails):
    admin, token = admin_browser
    count = db.session.scalar(select(func.count()).select_from(User))
    response = admin.post("/admin/users", data={"csrf_token": token, "email": email,
                                                "role": "admin",
                                                "password": "a long enough passphrase"})
    assert response.status_code == 422
    assert db.session.scalar(select(func.count()).select_from(User)) == count


@pytest.mark.parametrize("secret, code", [
    ("\x00" * 12, "control"), ("correct\x1bhorse battery", "control"),
    ("short pass", "too_short"), ("x" * 300, "too_long"),
    ("aaaaaaaaaaaaaa", "repetitive"), ("abcabcabcabcabc", "repetitive"),
    ("abcdefghijklmno", "sequence"), ("987654321098", "sequence"),
    ("qwerty123456", "common"), ("Password2024!!", "common"), ("1q2w3e4r5t6y", "common"),
    ("jane.doe.smith@example.com", "email"), ("my jane.doe.smith key", "email"),
])
def test_weak_passwords_are_refused(secret, code):
    assert password_problem(secret, "jane.doe.smith@example.com") == code


@pytest.mark.parametrize("secret", ["correct horse battery staple", "Mon chat s'appelle Félix!",
                                    "a long enough passphrase", "9 tigres dorment à l'ombre"])
def test_passphrases_are_accepted(secret):
    assert password_problem(secret, "jane.doe.smith@example.com") is None


def test_the_common_password_list_is_on_disk():
    passwords = common_passwords()
    assert len(passwords) == 30_000 and "password" in passwords and "qwerty123456" in passwords


def test_an_admin_cannot_create_a_user_with_a_nul_password(admin_browser, db):
    admin, token = admin_browser
    response = admin.post("/admin/users", data={"csrf_token": token, "role": "advisor",
                                                "email": "nul.password@example.com",
                                                "password": "\x00" * 12})
    assert response.status_code == 400  # refused before the form is even read
    response = admin.post("/admin/users", data={"csrf_token": token, "role": "advisor",
                                                "email": "nul.password@example.com",
                                                "password": "qwerty123456"})
    assert response.status_code == 422 and "les plus courants" in response.get_data(
        as_text=True)
    assert db.session.scalar(select(User).where(User.email == "nul.password@example.com")) \
        is None


def test_a_password_typed_in_another_unicode_form_still_signs_in(db, password):
    """Passwords are hashed NFC-normalised: "é" typed as e + combining accent matches."""
    from webapp.accounts.service import authenticate, create_user

    create_user(db.session, "unicode.pass@example.com", "Café crème au lait", "advisor")
    db.session.commit()
    assert authenticate(db.session, "unicode.pass@example.com",
                        "Cafe\u0301 cre\u0300me au lait") is not None
    db.session.rollback()
