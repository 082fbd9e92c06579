"""Foreign keys hold on SQLite as on PostgreSQL (``ON DELETE CASCADE`` included), and the
migrations' table rebuilds on SQLite do not cascade-delete what references a rebuilt table."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic.migration import MigrationContext
from alembic.operations import Operations
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from webapp.database import ForeignKeyViolation, migration_connection
from webapp.extensions import db

pytestmark = pytest.mark.db

_CLIENT = ("INSERT INTO clients (sk_id_curr, raw_record, source, imported_at, version) "
           "VALUES (:id, :raw, 'test', CURRENT_TIMESTAMP, 1)")
_VERSION = ("INSERT INTO application_versions (sk_id_curr, version, raw_record, changed_fields, "
            "created_by, created_at) VALUES (:id, 1, :raw, '', 'test', CURRENT_TIMESTAMP)")


def _versions(connection, sk_id: int) -> int:
    return connection.scalar(text("SELECT count(*) FROM application_versions "
                                  "WHERE sk_id_curr = :id"), {"id": sk_id})


def test_deleting_a_client_deletes_its_versions(migrated_app):
    with migrated_app.app_context(), db.engine.connect() as connection:
        connection.execute(text(_CLIENT), {"id": 501, "raw": b"{}"})
        connection.execute(text(_VERSION), {"id": 501, "raw": b"{}"})
        connection.commit()
        connection.execute(text("DELETE FROM clients WHERE sk_id_curr = 501"))
        connection.commit()
        assert _versions(connection, 501) == 0


def test_a_version_of_an_unknown_client_is_refused(migrated_app):
    with migrated_app.app_context(), db.engine.connect() as connection:
        with pytest.raises(IntegrityError):
            connection.execute(text(_VERSION), {"id": 999_999, "raw": b"{}"})
        connection.rollback()


def _rebuild_clients(connection) -> None:
    """What a batch migration does to change a column on SQLite: copy, drop, rename."""
    context = MigrationContext.configure(connection)
    with Operations(context).batch_alter_table("clients", recreate="always") as batch:
        batch.alter_column("source", type_=sa.String(250), existing_type=sa.String(200))


def test_a_batch_rebuild_keeps_the_rows_that_reference_the_table(migrated_app,
                                                                 database_backend):
    if database_backend != "sqlite":
        pytest.skip("only SQLite rebuilds tables in batch mode")
    with migrated_app.app_context(), db.engine.connect() as connection:
        for sk_id in (601, 602):
            connection.execute(text(_CLIENT), {"id": sk_id, "raw": b"{}"})
            connection.execute(text(_VERSION), {"id": sk_id, "raw": b"{}"})
        connection.commit()

        with migration_connection(connection):
            _rebuild_clients(connection)
            connection.commit()
        assert _versions(connection, 601) == 1  # kept
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1  # back on

        # the hazard the helper avoids: the same rebuild with foreign keys on
        _rebuild_clients(connection)
        connection.commit()
        assert _versions(connection, 601) == 0


def test_a_migration_that_leaves_a_dangling_key_is_reported(migrated_app, database_backend):
    if database_backend != "sqlite":
        pytest.skip("PostgreSQL checks foreign keys on every statement")
    with migrated_app.app_context(), db.engine.connect() as connection:
        with pytest.raises(ForeignKeyViolation, match="application_versions"), \
                migration_connection(connection):
            connection.execute(text(_VERSION), {"id": 888_888, "raw": b"{}"})
            connection.commit()
        connection.execute(text("DELETE FROM application_versions WHERE sk_id_curr = 888888"))
        connection.commit()
