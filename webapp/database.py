"""Connection settings that SQLite needs and PostgreSQL does not.

SQLite's default rollback journal gives a writer an exclusive lock on the whole file while
it spills or commits a large transaction: during a CSV import, every other request, read-only
pages included, waited for the lock and failed with "database is locked". In WAL mode readers
read the last committed state while a writer appends to the log, so they are never refused;
writers still take turns, and a busy timeout makes the second writer wait for the first
instead of failing at once. SQLite also ignores foreign keys (``ON DELETE CASCADE`` included)
unless each connection asks for them.

These are per-connection settings (WAL itself is stored in the file, but setting it again is
free), so an engine event sets them on every new SQLite connection. PostgreSQL engines are
left as they are.

Migrations are the exception: Alembic's batch mode rebuilds a SQLite table (copy, drop,
rename), and with foreign keys on, dropping a referenced table would cascade-delete the
referencing rows. :func:`migration_connection` turns them off for the migration, checks
them at the end, and turns them back on.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import Flask
from sqlalchemy import Connection, Engine, event

from .extensions import db

#: How long a SQLite writer waits for another writer's transaction before it gives up:
#: longer than the 48,744-application import holds the write lock (about 10 s on a quiet
#: machine, 13-18 s on a busy one: ``bench/db_concurrency.py``), shorter than gunicorn's
#: 30 s worker timeout.
SQLITE_BUSY_TIMEOUT_MS = 15_000

SQLITE_PRAGMAS: tuple[str, ...] = (
    "PRAGMA journal_mode=WAL",
    f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}",
    "PRAGMA foreign_keys=ON",
)


def set_sqlite_pragmas(dbapi_connection: Any, connection_record: Any = None) -> None:
    """Put a new SQLite connection in WAL mode, with a busy timeout and foreign keys on."""
    cursor = dbapi_connection.cursor()
    try:
        for pragma in SQLITE_PRAGMAS:
            cursor.execute(pragma)
    finally:
        cursor.close()


def configure_engine(engine: Engine) -> None:
    """Register :func:`set_sqlite_pragmas` on ``engine`` when it is a SQLite engine."""
    if engine.dialect.name == "sqlite" and not event.contains(engine, "connect",
                                                               set_sqlite_pragmas):
        event.listen(engine, "connect", set_sqlite_pragmas)


def init_database(app: Flask) -> None:
    """Configure every engine of ``app`` (call right after ``db.init_app(app)``)."""
    with app.app_context():
        for engine in db.engines.values():
            configure_engine(engine)


class ForeignKeyViolation(RuntimeError):
    """A migration left rows whose foreign keys point nowhere (SQLite)."""


@contextmanager
def migration_connection(connection: Connection) -> Iterator[Connection]:
    """``connection`` with SQLite's foreign keys off while migrations run, checked after.

    On SQLite, ``PRAGMA foreign_key_check`` runs once the migrations are done and raises
    :class:`ForeignKeyViolation` if any row points nowhere; the connection gets its foreign
    keys back either way (it returns to the pool). Other databases: unchanged.
    """
    if connection.dialect.name != "sqlite":
        yield connection
        return
    # Each PRAGMA is committed at once: Alembic must not find the connection inside a
    # transaction (it would take it for the caller's and never commit its own work).
    connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
    connection.commit()
    try:
        yield connection
        broken = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
        connection.commit()
        if broken:
            raise ForeignKeyViolation(
                f"the migration left {len(broken)} row(s) with a dangling foreign key, "
                f"first: table {broken[0][0]}, row {broken[0][1]} -> {broken[0][2]}")
    finally:
        connection.rollback()
        connection.exec_driver_sql("PRAGMA foreign_keys=ON")
        connection.commit()
