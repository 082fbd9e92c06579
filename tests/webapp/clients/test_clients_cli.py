"""``flask clients import``: the command that loads Kaggle-format applications."""

from __future__ import annotations

import pandas as pd
import pytest
from sqlalchemy import func, select

from webapp.clients.models import Client

pytestmark = pytest.mark.db  # run on PostgreSQL too (scripts/test.sh)


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


def _count(db) -> int:
    return db.session.scalar(select(func.count()).select_from(Client))



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
