"""Application versions, decision records, human reviews, browser import jobs.

Hand-written and reviewed: portable types only, named constraints, batch mode for the
SQLite ``ALTER TABLE``. ``clients.version`` is the optimistic-concurrency counter (1 for the
rows already there). Decision records are append-only: on SQLite and PostgreSQL a trigger
refuses any UPDATE or DELETE, on top of the ORM guard in ``webapp/models/decisions.py``.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("clients") as batch_op:
        batch_op.add_column(sa.Column("version", sa.Integer(), nullable=False,
                                      server_default="1"))

    op.create_table(
        "application_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sk_id_curr", sa.BigInteger(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("raw_record", sa.LargeBinary(), nullable=False),
        sa.Column("probability", sa.Float(), nullable=True),
        sa.Column("decision", sa.String(length=8), nullable=True),
        sa.Column("model_version", sa.String(length=64), nullable=True),
        sa.Column("changed_fields", sa.Text(), nullable=False),
        sa.Column("created_by", sa.String(length=254), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["sk_id_curr"], ["clients.sk_id_curr"],
                                name="fk_application_versions_sk_id_curr_clients",
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_application_versions"),
    )
    with op.batch_alter_table("application_versions") as batch_op:
        batch_op.create_index("ix_application_versions_client_version",
                              ["sk_id_curr", "version"], unique=True)

    op.create_table(
        "decision_records",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("user_email", sa.String(length=254), nullable=False),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("sk_id_curr", sa.BigInteger(), nullable=True),
        sa.Column("application_version", sa.Integer(), nullable=True),
        sa.Column("model_version", sa.String(length=64), nullable=True),
        sa.Column("threshold", sa.Float(), nullable=True),
        sa.Column("probability", sa.Float(), nullable=True),
        sa.Column("decision", sa.String(length=8), nullable=True),
        sa.Column("reasons", sa.Text(), nullable=False),
        sa.Column("details", sa.Text(), nullable=False),
        sa.CheckConstraint("action IN ('explanation', 'what_if', 'sheet', 'review_requested', "
                           "'review_decided')", name="ck_decision_records_action"),
        sa.PrimaryKeyConstraint("id", name="pk_decision_records"),
    )
    with op.batch_alter_table("decision_records") as batch_op:
        batch_op.create_index("ix_decision_records_created_at", ["created_at"], unique=False)
        batch_op.create_index("ix_decision_records_sk_id_curr", ["sk_id_curr"], unique=False)

    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for verb in ("UPDATE", "DELETE"):
            op.execute(f"CREATE TRIGGER decision_records_no_{verb.lower()} BEFORE {verb} ON "
                       "decision_records BEGIN SELECT RAISE(ABORT, 'decision records are "
                       "append-only'); END")
    elif dialect == "postgresql":
        op.execute("CREATE FUNCTION decision_records_append_only() RETURNS trigger AS $$ "
                   "BEGIN RAISE EXCEPTION 'decision records are append-only'; END; "
                   "$$ LANGUAGE plpgsql")
        op.execute("CREATE TRIGGER decision_records_append_only BEFORE UPDATE OR DELETE ON "
                   "decision_records FOR EACH ROW EXECUTE FUNCTION "
                   "decision_records_append_only()")

    op.create_table(
        "reviews",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sk_id_curr", sa.BigInteger(), nullable=False),
        sa.Column("application_version", sa.Integer(), nullable=False),
        sa.Column("applicant_view", sa.Text(), nullable=False),
        sa.Column("requested_by_id", sa.Integer(), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("model_version", sa.String(length=64), nullable=True),
        sa.Column("threshold", sa.Float(), nullable=True),
        sa.Column("probability", sa.Float(), nullable=True),
        sa.Column("model_decision", sa.String(length=8), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("reviewed_by_id", sa.Integer(), nullable=True),
        sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("final_decision", sa.String(length=8), nullable=True),
        sa.Column("justification", sa.Text(), nullable=True),
        sa.CheckConstraint("status IN ('pending', 'confirmed', 'overridden')",
                           name="ck_reviews_status"),
        sa.CheckConstraint("model_decision IN ('accepted', 'refused')",
                           name="ck_reviews_model_decision"),
        sa.CheckConstraint("final_decision IS NULL OR final_decision IN ('accepted', 'refused')",
                           name="ck_reviews_final_decision"),
        sa.ForeignKeyConstraint(["sk_id_curr"], ["clients.sk_id_curr"],
                                name="fk_reviews_sk_id_curr_clients", ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["requested_by_id"], ["users.id"],
                                name="fk_reviews_requested_by_id_users"),
        sa.ForeignKeyConstraint(["reviewed_by_id"], ["users.id"],
                                name="fk_reviews_reviewed_by_id_users"),
        sa.PrimaryKeyConstraint("id", name="pk_reviews"),
    )
    with op.batch_alter_table("reviews") as batch_op:
        batch_op.create_index("ix_reviews_sk_id_curr", ["sk_id_curr"], unique=False)
        batch_op.create_index("ix_reviews_status", ["status"], unique=False)

    op.create_table(
        "import_jobs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("stored_as", sa.String(length=200), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("done", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("message", sa.Text(), nullable=True),
        sa.Column("created_by", sa.String(length=254), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("status IN ('pending', 'running', 'done', 'failed')",
                           name="ck_import_jobs_status"),
        sa.PrimaryKeyConstraint("id", name="pk_import_jobs"),
    )


def downgrade():
    op.drop_table("import_jobs")
    with op.batch_alter_table("reviews") as batch_op:
        batch_op.drop_index("ix_reviews_status")
        batch_op.drop_index("ix_reviews_sk_id_curr")
    op.drop_table("reviews")
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS decision_records_no_update")
        op.execute("DROP TRIGGER IF EXISTS decision_records_no_delete")
    elif dialect == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS decision_records_append_only ON decision_records")
        op.execute("DROP FUNCTION IF EXISTS decision_records_append_only()")
    with op.batch_alter_table("decision_records") as batch_op:
        batch_op.drop_index("ix_decision_records_sk_id_curr")
        batch_op.drop_index("ix_decision_records_created_at")
    op.drop_table("decision_records")
    with op.batch_alter_table("application_versions") as batch_op:
        batch_op.drop_index("ix_application_versions_client_version")
    op.drop_table("application_versions")
    with op.batch_alter_table("clients") as batch_op:
        batch_op.drop_column("version")
