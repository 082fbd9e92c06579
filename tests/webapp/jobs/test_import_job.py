"""The import job writes in chunks yet all or nothing: while it stages its rows, another
writer does not wait for it and no reader sees any of them; rows that became clients meanwhile
make it fail with nothing published (the session app runs jobs at once)."""

from __future__ import annotations

import pandas as pd
import pytest
from sqlalchemy import create_engine, delete, func, select
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from webapp.clients.decision_log import record_decision
from webapp.clients.models import Client, DecisionRecord, StagedClient
from webapp.jobs import imports
from webapp.jobs.models import Job, StoredUpload
from webapp.jobs.queue import dispatch

pytestmark = pytest.mark.db

FIRST_ID = 985_000_001


@pytest.fixture
def applications(seed_csv, tmp_path):
    """The 300 seeded applications under new IDs, as a file."""
    frame = pd.read_csv(seed_csv)
    frame["SK_ID_CURR"] = range(FIRST_ID, FIRST_ID + len(frame))
    path = tmp_path / "applications.csv"
    frame.to_csv(path, index=False)
    return path, len(frame)


@pytest.fixture
def other_connection(database_url, database_backend):
    """Another process's connection, which gives up at once instead of waiting for a lock."""
    if database_backend == "sqlite":
        engine = create_engine(database_url, poolclass=NullPool, connect_args={"timeout": 0})
    else:
        engine = create_engine(database_url, poolclass=NullPool,
                               connect_args={"options": "-c lock_timeout=200"})
    yield engine
    engine.dispose()


@pytest.fixture
def cleanup(db):
    yield
    db.session.rollback()
    db.session.execute(delete(Client).where(Client.sk_id_curr >= FIRST_ID,
                                            Client.sk_id_curr < FIRST_ID + 1000))
    db.session.commit()


def _count(session, table, column) -> int:
    return session.scalar(select(func.count()).select_from(table)
                          .where(column >= FIRST_ID, column < FIRST_ID + 1000))


def _run_import(db, path, rows) -> Job:
    upload = imports.store_upload(db.session, "c" * 32, "applications.csv", path, rows,
                                  "admin@example.com")
    job = imports.record_import(db.session, upload, "admin@example.com")
    assert dispatch(db.session, job)
    db.session.expire_all()
    return db.session.get(Job, job.id)


def _during_the_chunks(monkeypatch, after: int, action) -> None:
    """Call ``action()`` once ``after`` chunks of 100 rows are staged and committed."""
    real = imports.chunks

    def watched(rows, size):
        for index, chunk in enumerate(real(rows, 100)):
            if index == after:
                action()
            yield chunk

    monkeypatch.setattr(imports, "chunks", watched)


def test_others_write_at_once_and_see_nothing_until_the_import_publishes(
        db, applications, other_connection, monkeypatch, cleanup):
    path, rows = applications
    seen = {}

    def another_request() -> None:
        with Session(other_connection) as session:
            seen["clients"] = _count(session, Client, Client.sk_id_curr)
            seen["staged"] = _count(session, StagedClient, StagedClient.sk_id_curr)
            record_decision(session, user=None, action="explanation", sk_id_curr=None,
                            application_version=None, model_version="test-during-import",
                            threshold=0.5, probability=0.1, decision="accepted")
            session.commit()  # would raise "database is locked" if the import held the lock
            seen["recorded"] = True

    _during_the_chunks(monkeypatch, 2, another_request)
    job = _run_import(db, path, rows)
    assert job.status == "done" and job.done == rows, job.message
    assert seen == {"clients": 0, "staged": 200, "recorded": True}
    assert _count(db.session, Client, Client.sk_id_curr) == rows
    assert db.session.scalar(select(func.count()).select_from(DecisionRecord)
                             .where(DecisionRecord.model_version == "test-during-import")) == 1


def test_rows_imported_meanwhile_make_the_import_fail_with_nothing_published(
        db, applications, other_connection, monkeypatch, cleanup):
    path, rows = applications

    def someone_else_imports_the_last_row() -> None:
        with Session(other_connection) as session:
            source = session.scalar(select(Client).limit(1))
            session.add(Client(sk_id_curr=FIRST_ID + rows - 1, raw_record=source.raw_record,
                               source="someone else"))
            session.commit()

    _during_the_chunks(monkeypatch, 1, someone_else_imports_the_last_row)
    job = _run_import(db, path, rows)
    assert job.status == "failed" and "import_clash" in job.message
    assert _count(db.session, Client, Client.sk_id_curr) == 1  # only the other one's row
    assert _count(db.session, StagedClient, StagedClient.sk_id_curr) == 0
    assert db.session.get(StoredUpload, "c" * 32) is None
