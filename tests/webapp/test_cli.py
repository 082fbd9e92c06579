"""``flask users ...`` and ``flask clients import``: the commands an admin runs."""

from __future__ import annotations

import pandas as pd
import pytest
from sqlalchemy import func, select

from webapp.models import ApiToken, Client, User

pytestmark = pytest.mark.db  # run on PostgreSQL too (scripts/test.sh)


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


def _count(db) -> int:
    return db.session.scalar(select(func.count()).select_from(Client))


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


# --- clients import ----------------------------------------------------------------------

@pytest.fixture
def sample(seed_csv) -> pd.DataFrame:
    """Ten real applications under IDs no other test uses."""
    frame = pd.read_csv(seed_csv, nrows=10)
    frame["SK_ID_CURR"] = range(900_001, 900_011)
    return frame


def test_import_writes_every_row_with_its_score(runner, db, sample, tmp_path, model):
    path = tmp_path / "ok.csv"
    sample.iloc[:5].assign(SK_ID_CURR=range(910_001, 910_006)).to_csv(path, index=False)
    before = _count(db)
    result = runner.invoke(args=["clients", "import", str(path)])
    assert result.exit_code == 0, result.output
    assert "Imported 5 clients" in result.output
    assert _count(db) == before + 5
    stored = db.session.get(Client, 910_001)
    assert stored.model_version == model.version
    assert stored.decision in ("accepted", "refused")


@pytest.mark.parametrize("column, value, where", [
    ("AMT_CREDIT", "beaucoup", "column AMT_CREDIT"),
    ("AMT_INCOME_TOTAL", "-5000", "column AMT_INCOME_TOTAL"),
    ("DAYS_BIRTH", "1000", "column DAYS_BIRTH"),
    ("EXT_SOURCE_2", "7", "column EXT_SOURCE_2"),
])
def test_a_bad_row_names_line_and_column_and_writes_nothing(runner, db, sample, tmp_path,
                                                            column, value, where):
    frame = sample.astype({column: "object"})
    frame.loc[6, column] = value  # the 7th application: line 8 of the file
    path = tmp_path / "bad.csv"
    frame.to_csv(path, index=False)
    before = _count(db)
    result = runner.invoke(args=["clients", "import", str(path)])
    assert result.exit_code != 0
    assert "line 8" in result.output and where in result.output
    assert "Nothing was imported" in result.output
    assert _count(db) == before
    assert db.session.get(Client, 900_001) is None


def test_ids_already_in_the_database_write_nothing(runner, db, sample, seeded_ids, tmp_path):
    frame = sample.copy()
    frame.loc[9, "SK_ID_CURR"] = seeded_ids[0]
    path = tmp_path / "clash.csv"
    frame.to_csv(path, index=False)
    before = _count(db)
    result = runner.invoke(args=["clients", "import", str(path)])
    assert result.exit_code != 0
    assert "line 11" in result.output and "already in the database" in result.output
    assert _count(db) == before


def test_missing_column_and_missing_file(runner, db, sample, tmp_path):
    path = tmp_path / "short.csv"
    sample.drop(columns=["AMT_CREDIT"]).to_csv(path, index=False)
    result = runner.invoke(args=["clients", "import", str(path)])
    assert result.exit_code != 0 and "AMT_CREDIT" in result.output
    result = runner.invoke(args=["clients", "import", str(tmp_path / "nope.csv")])
    assert result.exit_code != 0 and "no such file" in result.output


def test_if_empty_skips_a_populated_database(runner, db, sample, tmp_path):
    path = tmp_path / "again.csv"
    sample.to_csv(path, index=False)
    before = _count(db)
    result = runner.invoke(args=["clients", "import", str(path), "--if-empty"])
    assert result.exit_code == 0 and "nothing imported" in result.output
    assert _count(db) == before
