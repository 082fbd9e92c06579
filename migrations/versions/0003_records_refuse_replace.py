"""Decision records refuse REPLACE and TRUNCATE too.

The triggers of 0002 refuse UPDATE and DELETE, but two paths got past them:

- SQLite: ``INSERT OR REPLACE`` (and ``REPLACE INTO``) on an existing ID deletes the old row
  and inserts a new one; the delete fires no DELETE trigger unless ``recursive_triggers``
  is on. A BEFORE INSERT trigger now refuses any insert whose ID is already taken, which
  stops REPLACE before it deletes anything. (``INSERT ... ON CONFLICT DO UPDATE`` runs the
  UPDATE trigger of 0002, and is stopped by this one first.)
- PostgreSQL: ``TRUNCATE`` fires no row trigger. A statement-level BEFORE TRUNCATE trigger
  now refuses it. (``INSERT ... ON CONFLICT DO UPDATE`` and ``MERGE`` run the row-level
  UPDATE trigger of 0002.)

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02
"""

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade():
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        op.execute("CREATE TRIGGER decision_records_no_replace BEFORE INSERT ON "
                   "decision_records WHEN NEW.id IS NOT NULL AND EXISTS (SELECT 1 FROM "
                   "decision_records WHERE id = NEW.id) BEGIN SELECT RAISE(ABORT, "
                   "'decision records are append-only'); END")
    elif dialect == "postgresql":
        op.execute("CREATE TRIGGER decision_records_no_truncate BEFORE TRUNCATE ON "
                   "decision_records FOR EACH STATEMENT EXECUTE FUNCTION "
                   "decision_records_append_only()")


def downgrade():
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS decision_records_no_replace")
    elif dialect == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS decision_records_no_truncate ON decision_records")
