"""The Alembic revisions build the models' schema from nothing, remove it all, and build it
again, on SQLite and on PostgreSQL (``PAD_TEST_DATABASE_URL``)."""

from __future__ import annotations

import flask_migrate
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import current_app
from sqlalchemy import inspect, text

from webapp.extensions import db

pytestmark = pytest.mark.db

#: The append-only triggers of the decision records (0002 and 0003).
TRIGGERS = {
    "sqlite": {"decision_records_no_update", "decision_records_no_delete",
               "decision_records_no_replace"},
    "postgresql": {"decision_records_append_only", "decision_records_no_truncate"},
}


def _script() -> ScriptDirectory:
    return ScriptDirectory(current_app.extensions["migrate"].directory)


def _revision() -> str | None:
    with db.engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def _tables() -> set[str]:
    return set(inspect(db.engine).get_table_names()) - {"alembic_version"}


def _model_tables() -> set[str]:
    return set(db.metadata.tables)


def _triggers() -> set[str]:
    with db.engine.connect() as connection:
        if connection.dialect.name == "sqlite":
            query = "SELECT name FROM sqlite_master WHERE type = 'trigger'"
        else:
            query = "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal"
        return set(connection.scalars(text(query)))


def _schema_differences() -> list:
    with db.engine.connect() as connection:
        return compare_metadata(MigrationContext.configure(connection), db.metadata)


def test_upgrade_downgrade_upgrade(empty_app, database_backend):
    app = empty_app("updownup")
    with app.app_context():
        assert _tables() == set() and _revision() is None

        head = _script().get_current_head()
        flask_migrate.upgrade()
        assert _revision() == head
        assert _tables() == _model_tables() and "decision_records" in _tables()
        assert TRIGGERS[database_backend] <= _triggers()
        assert _schema_differences() == []  # the revisions build exactly the models

        flask_migrate.downgrade(revision="base")
        assert _revision() is None
        assert _tables() == set() and _triggers() == set()
        if database_backend == "postgresql":
            with db.engine.connect() as connection:
                assert connection.scalar(text(
                    "SELECT count(*) FROM pg_proc WHERE proname = "
                    "'decision_records_append_only'")) == 0

        flask_migrate.upgrade()
        assert _revision() == head and _tables() == _model_tables()
        assert TRIGGERS[database_backend] <= _triggers()
        assert _schema_differences() == []
        db.engine.dispose()


def test_every_revision_goes_down_and_up_one_step(empty_app):
    app = empty_app("steps")
    with app.app_context():
        revisions = [r.revision for r in reversed(list(_script().walk_revisions()))]
        assert revisions[:3] == ["0001", "0002", "0003"]
        for revision in revisions:
            flask_migrate.upgrade(revision=revision)
            assert _revision() == revision
            flask_migrate.downgrade(revision="-1")
            flask_migrate.upgrade(revision=revision)
            assert _revision() == revision
        db.engine.dispose()



def test_browser_imports_of_0002_become_jobs(empty_app):
    """0006 carries the ``import_jobs`` rows into ``jobs``; one still pending or running was
    lost with its web worker's thread, so it arrives failed."""
    app = empty_app("import_jobs")
    with app.app_context():
        flask_migrate.upgrade(revision="0003")
        with db.engine.begin() as connection:
            for status, message in (("done", None), ("running", None),
                                    ("failed", "line 3: bad")):
                connection.execute(text(
                    "INSERT INTO import_jobs (filename, stored_as, total, done, status, "
                    "message, created_by, created_at) VALUES (:f, 'x.csv', 10, 4, :s, :m, "
                    "'admin@example.com', CURRENT_TIMESTAMP)"),
                    {"f": f"{status}.csv", "s": status, "m": message})
        flask_migrate.upgrade(revision="0006")
        with db.engine.connect() as connection:
            rows = connection.execute(text(
                "SELECT kind, status, total, done, message, params FROM jobs ORDER BY id")).all()
        assert [(r.kind, r.status, r.total, r.done) for r in rows] == [
            ("import", "done", 10, 4), ("import", "failed", 10, 4), ("import", "failed", 10, 4)]
        assert "interrupted" in rows[1].message and rows[2].message == "line 3: bad"
        assert '"filename": "running.csv"' in rows[1].params
        flask_migrate.downgrade(revision="0003")
        with db.engine.connect() as connection:
            assert connection.scalar(text("SELECT count(*) FROM import_jobs")) == 3
        db.engine.dispose()


def test_0007_adds_image_evaluations_and_their_results(empty_app):
    """0007 lets a job be an image evaluation and keep its result (removed with its job);
    going back to 0006 removes those jobs, whose kind the older schema refuses."""
    from sqlalchemy.exc import IntegrityError

    app = empty_app("vision_eval")
    insert = ("INSERT INTO jobs (kind, status, total, done, params, created_by, created_at, "
              "attempt) VALUES (:kind, 'done', 3, 3, '{}', 'a@example.com', "
              "CURRENT_TIMESTAMP, 1)")
    with app.app_context():
        flask_migrate.upgrade(revision="0006")
        with pytest.raises(IntegrityError), db.engine.begin() as connection:
            connection.execute(text(insert), {"kind": "vision_eval"})
        flask_migrate.upgrade(revision="0007")
        with db.engine.begin() as connection:
            connection.execute(text(insert), {"kind": "vision_eval"})
            job_id = connection.scalar(text("SELECT max(id) FROM jobs"))
            connection.execute(text("INSERT INTO job_results (job_id, content, created_at) "
                                    "VALUES (:id, '{}', CURRENT_TIMESTAMP)"), {"id": job_id})
        with pytest.raises(IntegrityError), db.engine.begin() as connection:
            connection.execute(text(insert), {"kind": "anything"})
        with db.engine.begin() as connection:
            connection.execute(text("DELETE FROM jobs WHERE id = :id"), {"id": job_id})
            assert connection.scalar(text("SELECT count(*) FROM job_results")) == 0
            connection.execute(text(insert), {"kind": "vision_eval"})
        flask_migrate.downgrade(revision="0006")
        with db.engine.connect() as connection:
            assert connection.scalar(text("SELECT count(*) FROM jobs")) == 0
        db.engine.dispose()
