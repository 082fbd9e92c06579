"""``flask users ...``: the commands an admin runs to create accounts and API tokens."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from webapp.accounts.models import ApiToken, User


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


def test_users_create_reads_the_password_from_stdin(runner, db):
    result = runner.invoke(args=["users", "create", "New.Advisor@Example.com", "--role",
                                 "advisor", "--password-stdin"],
                           input="a long enough password\n")
    assert result.exit_code == 0, result.output
    user = db.session.scalar(select(User).where(User.email == "new.advisor@example.com"))
    assert user.role == "advisor" and user.password_hash.startswith("scrypt:")


def test_users_create_prompts_for_the_password(runner, db):
    result = runner.invoke(args=["users", "create", "prompted@example.com", "--role", "admin"],
                           input="another long password\nanother long password\n")
    assert result.exit_code == 0, result.output
    assert db.session.scalar(select(User.role).where(User.email == "prompted@example.com")) \
        == "admin"


@pytest.mark.parametrize("args, stdin, message", [
    (["users", "create", "short@example.com", "--role", "advisor", "--password-stdin"],
     "short\n", "at least 12"),
    (["users", "create", "not-an-email", "--role", "advisor", "--password-stdin"],
     "a long enough password\n", "not a valid e-mail"),
    (["users", "create", "advisor@example.com", "--role", "advisor", "--password-stdin"],
     "a long enough password\n", "already exists"),
    (["users", "create", "x@example.com", "--role", "root", "--password-stdin"],
     "a long enough password\n", "root"),
])
def test_users_create_refuses_bad_input(runner, args, stdin, message):
    result = runner.invoke(args=args, input=stdin)
    assert result.exit_code != 0
    assert message in result.output


def test_users_token_prints_a_working_token_and_stores_only_its_hash(runner, db, client,
                                                                     seeded_ids):
    result = runner.invoke(args=["users", "token", "advisor@example.com"])
    assert result.exit_code == 0
    token = result.output.strip()
    assert token.startswith("pad_")
    stored = db.session.scalars(select(ApiToken.token_hash)).all()
    assert token not in stored
    response = client.get(f"/api/v1/clients/{seeded_ids[0]}",
                          headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200


def test_users_token_for_unknown_user(runner):
    result = runner.invoke(args=["users", "token", "nobody@example.com"])
    assert result.exit_code != 0 and "no user" in result.output


