"""Hardening: revocable sessions, server-side drafts, races closed by the database.

Hand-written and reviewed (portable types, named constraints, batch mode on SQLite):

- ``users.session_generation``: every signed-in session carries the generation it was opened
  under; logout, a password change or reset, a role change and a deactivation bump it, which
  ends every session of that user at once (``webapp/accounts/sessions.py``).
- ``drafts``: a new application not saved yet, stored behind an unguessable id instead of
  travelling readable in its URLs; ``client_id`` is unique, so a draft becomes a client once.
- ``uq_reviews_one_pending``: a partial unique index (SQLite and PostgreSQL alike), so that
  two simultaneous review requests cannot both leave a pending review.
- The last active admin: a trigger refuses any change that leaves no active admin. On
  SQLite, writers are serialised, so the trigger alone closes the race; on PostgreSQL the
  service also locks the admin rows (``SELECT ... FOR UPDATE``) before its check, since two
  READ COMMITTED transactions would otherwise each see the other's admin still active.

Existing duplicate pending reviews (possible before this revision) make the index creation
fail: decide all but one of them first.

Revision ID: 0005
Revises: 0002
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_LAST_ADMIN = "no active admin would be left"


def upgrade():
    with op.batch_alter_table("users") as batch_op:
        batch_op.add_column(sa.Column("session_generation", sa.Integer(), nullable=False,
                                      server_default="0"))

    op.create_table(
        "drafts",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("record", sa.LargeBinary(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("client_id", sa.BigInteger(), nullable=True),
        sa.Column("saved_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["created_by_id"], ["users.id"],
                                name="fk_drafts_created_by_id_users", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_drafts"),
        sa.UniqueConstraint("client_id", name="uq_drafts_client_id"),
    )
    with op.batch_alter_table("drafts") as batch_op:
        batch_op.create_index("ix_drafts_created_at", ["created_at"], unique=False)

    op.create_index("uq_reviews_one_pending", "reviews", ["sk_id_curr"], unique=True,
                    sqlite_where=sa.text("status = 'pending'"),
                    postgresql_where=sa.text("status = 'pending'"))

    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for event in ("UPDATE OF role, active", "DELETE"):
            name = "users_keep_an_admin_" + event.split()[0].lower()
            old_was_admin = "OLD.role = 'admin' AND OLD.active"
            still_admin = "" if event == "DELETE" else \
                " AND NOT (NEW.role = 'admin' AND NEW.active)"
            op.execute(
                f"CREATE TRIGGER {name} AFTER {event} ON users "
                f"WHEN {old_was_admin}{still_admin} BEGIN "
                f"SELECT RAISE(ABORT, '{_LAST_ADMIN}') WHERE NOT EXISTS "
                "(SELECT 1 FROM users WHERE role = 'admin' AND active); END")
    elif dialect == "postgresql":
        op.execute(
            "CREATE FUNCTION users_keep_an_admin() RETURNS trigger AS $$ BEGIN "
            "IF NOT EXISTS (SELECT 1 FROM users WHERE role = 'admin' AND active) THEN "
            f"RAISE EXCEPTION '{_LAST_ADMIN}' USING ERRCODE = 'check_violation'; END IF; "
            "RETURN NULL; END; $$ LANGUAGE plpgsql")
        op.execute(
            "CREATE TRIGGER users_keep_an_admin AFTER UPDATE OF role, active OR DELETE ON users "
            "FOR EACH ROW WHEN (OLD.role = 'admin' AND OLD.active) "
            "EXECUTE FUNCTION users_keep_an_admin()")


def downgrade():
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS users_keep_an_admin_update")
        op.execute("DROP TRIGGER IF EXISTS users_keep_an_admin_delete")
    elif dialect == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS users_keep_an_admin ON users")
        op.execute("DROP FUNCTION IF EXISTS users_keep_an_admin()")
    op.drop_index("uq_reviews_one_pending", table_name="reviews")
    with op.batch_alter_table("drafts") as batch_op:
        batch_op.drop_index("ix_drafts_created_at")
    op.drop_table("drafts")
    with op.batch_alter_table("users") as batch_op:
        batch_op.drop_column("session_generation")
