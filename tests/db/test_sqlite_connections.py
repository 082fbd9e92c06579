"""SQLite connections of the app: WAL, a busy timeout and foreign keys on every connection, so
that a long write (a CSV import) never refuses readers, and a second writer waits its turn."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from webapp.database import SQLITE_BUSY_TIMEOUT_MS
from webapp.extensions import db


@pytest.fixture(autouse=True)
def _sqlite_only(database_backend):
    if database_backend != "sqlite":
        pytest.skip("SQLite's connection settings")


def _insert_user(connection, email: str) -> None:
    connection.execute(text(
        "INSERT INTO users (email, password_hash, role, active, created_at) "
        "VALUES (:email, 'x', 'advisor', 1, CURRENT_TIMESTAMP)"), {"email": email})


def test_every_connection_has_wal_busy_timeout_and_foreign_keys(migrated_app):
    with migrated_app.app_context():
        # the pooled connection the migrations used, then a brand new one
        connections = [db.engine.connect(), db.engine.connect()]
        for connection in connections:
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() \
                == SQLITE_BUSY_TIMEOUT_MS
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        for connection in connections:
            connection.close()


def test_a_reader_is_not_refused_while_a_writer_holds_the_lock(migrated_app):
    with migrated_app.app_context(), db.engine.connect() as writer, \
            db.engine.connect() as reader:
        _insert_user(writer, "before@example.com")
        writer.commit()
        writer.exec_driver_sql("BEGIN EXCLUSIVE")  # a long import, as far as locks go
        _insert_user(writer, "during@example.com")
        # No waiting allowed: a refused read fails at once instead of after 15 s.
        reader.exec_driver_sql("PRAGMA busy_timeout=0")
        emails = set(reader.scalars(text("SELECT email FROM users")))
        assert "before@example.com" in emails and "during@example.com" not in emails
        reader.rollback()
        writer.commit()
        assert "during@example.com" in set(reader.scalars(text("SELECT email FROM users")))
        reader.exec_driver_sql(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")


def test_without_wal_the_same_reader_is_refused(tmp_path):
    """The baseline the app's settings fix: SQLite's default rollback journal."""
    engine = create_engine(f"sqlite:///{tmp_path / 'rollback.sqlite3'}")
    with engine.connect() as writer, engine.connect() as reader:
        writer.exec_driver_sql("CREATE TABLE t (x INTEGER)")
        writer.exec_driver_sql("BEGIN EXCLUSIVE")
        writer.exec_driver_sql("INSERT INTO t VALUES (1)")
        reader.exec_driver_sql("PRAGMA busy_timeout=0")
        with pytest.raises(OperationalError, match="database is locked"):
            reader.exec_driver_sql("SELECT count(*) FROM t").scalar()
        writer.rollback()
    engine.dispose()


def test_a_second_writer_waits_for_the_first_instead_of_failing(migrated_app):
    with migrated_app.app_context():
        first = db.engine.connect()
        first.exec_driver_sql("BEGIN IMMEDIATE")
        _insert_user(first, "first@example.com")
        committed = threading.Event()

        def commit_later() -> None:
            time.sleep(0.5)
            committed.set()
            first.commit()

        releaser = threading.Thread(target=commit_later)
        releaser.start()
        with db.engine.connect() as second:
            _insert_user(second, "second@example.com")  # waits for the lock, then writes
            assert committed.is_set()  # it could only write once the first had committed
            second.commit()
        releaser.join()
        first.close()
        with db.engine.connect() as connection:
            assert {"first@example.com", "second@example.com"} <= set(
                connection.scalars(text("SELECT email FROM users")))
