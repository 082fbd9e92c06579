"""Decision records are append-only in the database itself: every SQL path that would change
or remove one is refused by a trigger, on SQLite and on PostgreSQL, whatever the client."""

from __future__ import annotations

import flask_migrate
import pytest
from sqlalchemy import text
from sqlalchemy.exc import DatabaseError

from webapp.extensions import db

pytestmark = pytest.mark.db

_COLUMNS = "(id, created_at, user_email, action, decision, reasons, details)"
_VALUES = "(:id, '2026-12-01 10:00:00+00', 'x@example.com', 'explanation', 'refused', '[]', '{}')"

#: The statements that would change or remove record :id, by dialect.
TAMPERING = {
    "sqlite": {
        "update": "UPDATE decision_records SET decision = 'refused' WHERE id = :id",
        "delete": "DELETE FROM decision_records WHERE id = :id",
        "delete_all": "DELETE FROM decision_records",
        "insert_or_replace": f"INSERT OR REPLACE INTO decision_records {_COLUMNS} VALUES {_VALUES}",
        "replace_into": f"REPLACE INTO decision_records {_COLUMNS} VALUES {_VALUES}",
        "upsert": f"INSERT INTO decision_records {_COLUMNS} VALUES {_VALUES} "
                  "ON CONFLICT (id) DO UPDATE SET decision = excluded.decision",
    },
    "postgresql": {
        "update": "UPDATE decision_records SET decision = 'refused' WHERE id = :id",
        "delete": "DELETE FROM decision_records WHERE id = :id",
        "delete_all": "DELETE FROM decision_records",
        "upsert": f"INSERT INTO decision_records {_COLUMNS} VALUES {_VALUES} "
                  "ON CONFLICT (id) DO UPDATE SET decision = excluded.decision",
        "truncate": "TRUNCATE decision_records",
        "merge_update": "MERGE INTO decision_records AS r USING (SELECT :id AS id) AS s "
                        "ON r.id = s.id WHEN MATCHED THEN UPDATE SET decision = 'refused'",
        "merge_delete": "MERGE INTO decision_records AS r USING (SELECT :id AS id) AS s "
                        "ON r.id = s.id WHEN MATCHED THEN DELETE",
    },
}
ALL_PATHS = sorted({name for paths in TAMPERING.values() for name in paths})


def _record(connection) -> int:
    """Insert a record the way the app does (no ID given) and return its ID."""
    return connection.execute(text(
        "INSERT INTO decision_records (created_at, user_email, action, decision, reasons, "
        "details) VALUES (CURRENT_TIMESTAMP, 'advisor@example.com', 'explanation', "
        "'accepted', '[\"+ x\"]', '{}') RETURNING id")).scalar_one()


def _stored(connection, record_id: int) -> tuple | None:
    return connection.execute(text("SELECT user_email, decision, reasons FROM decision_records "
                                    "WHERE id = :id"), {"id": record_id}).one_or_none()


@pytest.mark.parametrize("path", ALL_PATHS)
def test_every_path_that_changes_a_record_is_refused(migrated_app, database_backend, path):
    statement = TAMPERING[database_backend].get(path)
    if statement is None:
        pytest.skip(f"{path} does not exist on {database_backend}")
    with migrated_app.app_context(), db.engine.connect() as connection:
        record_id = _record(connection)
        connection.commit()
        before = _stored(connection, record_id)
        with pytest.raises(DatabaseError, match="append-only"):
            connection.execute(text(statement), {"id": record_id})
        connection.rollback()
        assert _stored(connection, record_id) == before == ("advisor@example.com", "accepted",
                                                            '["+ x"]')


def test_new_records_are_still_written(migrated_app):
    with migrated_app.app_context(), db.engine.connect() as connection:
        first, second = _record(connection), _record(connection)
        connection.commit()
        assert second > first
        assert _stored(connection, second) is not None


def test_the_replace_guard_is_revision_0003(empty_app, database_backend):
    """Before 0003, REPLACE (SQLite) or TRUNCATE (PostgreSQL) got past the 0002 triggers."""
    path = "insert_or_replace" if database_backend == "sqlite" else "truncate"
    app = empty_app("before-0003")
    with app.app_context():
        flask_migrate.upgrade(revision="0002")
        with db.engine.connect() as connection:
            record_id = _record(connection)
            connection.commit()
            connection.execute(text(TAMPERING[database_backend][path]), {"id": record_id})
            connection.commit()
            assert _stored(connection, record_id) != ("advisor@example.com", "accepted",
                                                      '["+ x"]')
        flask_migrate.upgrade()
        with db.engine.connect() as connection:
            record_id = _record(connection)
            connection.commit()
            with pytest.raises(DatabaseError, match="append-only"):
                connection.execute(text(TAMPERING[database_backend][path]), {"id": record_id})
        db.engine.dispose()
