"""Jobs in a real queue: the jobs table (every kind of long work, its progress and heartbeat),
the uploads waiting for their import, and the staging table imports write before publishing.

``import_jobs`` (the browser imports of 0002, run in a web worker's thread) becomes ``jobs``
rows of kind ``import``; one that was still pending or running could only have been lost with
its thread, so it is carried over as failed.

Revision ID: 0006
Revises: 0003
Create Date: 2026-12-02
"""

import json

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

INTERRUPTED = "interrupted: the import ran in a web worker's thread, lost at the upgrade"


def _client_columns() -> list[sa.Column]:
    return [
        sa.Column("contract_type", sa.String(length=32), nullable=True),
        sa.Column("gender", sa.String(length=8), nullable=True),
        sa.Column("income_type", sa.String(length=32), nullable=True),
        sa.Column("education", sa.String(length=48), nullable=True),
        sa.Column("family_status", sa.String(length=32), nullable=True),
        sa.Column("housing_type", sa.String(length=32), nullable=True),
        sa.Column("children", sa.Integer(), nullable=True),
        sa.Column("income_total", sa.Float(), nullable=True),
        sa.Column("credit_amount", sa.Float(), nullable=True),
        sa.Column("annuity", sa.Float(), nullable=True),
        sa.Column("goods_price", sa.Float(), nullable=True),
        sa.Column("days_birth", sa.Integer(), nullable=True),
        sa.Column("raw_record", sa.LargeBinary(), nullable=False),
        sa.Column("probability", sa.Float(), nullable=True),
        sa.Column("decision", sa.String(length=8), nullable=True),
        sa.Column("model_version", sa.String(length=64), nullable=True),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
    ]


def _import_jobs_table() -> list:
    return [
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
    ]


def upgrade():
    jobs = op.create_table(
        "jobs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("done", sa.Integer(), nullable=False),
        sa.Column("message", sa.Text(), nullable=True),
        sa.Column("params", sa.Text(), nullable=False),
        sa.Column("model_version", sa.String(length=64), nullable=True),
        sa.Column("created_by", sa.String(length=254), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("worker", sa.String(length=200), nullable=True),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.CheckConstraint("status IN ('pending', 'running', 'done', 'failed')",
                           name="ck_jobs_status"),
        sa.CheckConstraint("kind IN ('import', 'rescore', 'train')", name="ck_jobs_kind"),
        sa.PrimaryKeyConstraint("id", name="pk_jobs"),
    )
    with op.batch_alter_table("jobs") as batch_op:
        batch_op.create_index("ix_jobs_status", ["status"], unique=False)
        batch_op.create_index("ix_jobs_kind_model_version", ["kind", "model_version"],
                              unique=False)

    op.create_table(
        "uploads",
        sa.Column("token", sa.String(length=32), nullable=False),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("created_by", sa.String(length=254), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("token", name="pk_uploads"),
    )

    op.create_table(
        "clients_staging",
        sa.Column("batch", sa.String(length=32), nullable=False),
        sa.Column("sk_id_curr", sa.BigInteger(), autoincrement=False, nullable=False),
        *_client_columns(),
        sa.PrimaryKeyConstraint("batch", "sk_id_curr", name="pk_clients_staging"),
    )

    connection = op.get_bind()
    old = sa.table("import_jobs", *[sa.column(c.name, c.type) for c in _import_jobs_table()
                                    if isinstance(c, sa.Column)])
    rows = []
    for row in connection.execute(sa.select(old).order_by(old.c.id)).mappings():
        lost = row["status"] in ("pending", "running")
        rows.append({"kind": "import", "status": "failed" if lost else row["status"],
                     "total": row["total"], "done": row["done"],
                     "message": INTERRUPTED if lost else row["message"],
                     "params": json.dumps({"filename": row["filename"]}),
                     "model_version": None, "created_by": row["created_by"],
                     "created_at": row["created_at"], "started_at": None,
                     "finished_at": row["finished_at"] or row["created_at"],
                     "heartbeat_at": None, "worker": None, "attempt": 1})
    if rows:
        op.bulk_insert(jobs, rows)
    op.drop_table("import_jobs")


def downgrade():
    import_jobs = op.create_table("import_jobs", *_import_jobs_table())
    connection = op.get_bind()
    jobs = sa.table("jobs", sa.column("id", sa.Integer()), sa.column("kind", sa.String()),
                    sa.column("status", sa.String()), sa.column("total", sa.Integer()),
                    sa.column("done", sa.Integer()), sa.column("message", sa.Text()),
                    sa.column("params", sa.Text()), sa.column("created_by", sa.String()),
                    sa.column("created_at", sa.DateTime(timezone=True)),
                    sa.column("finished_at", sa.DateTime(timezone=True)))
    rows = []
    for row in connection.execute(sa.select(jobs).where(jobs.c.kind == "import")
                                  .order_by(jobs.c.id)).mappings():
        lost = row["status"] in ("pending", "running")
        rows.append({"filename": json.loads(row["params"] or "{}").get("filename", "import.csv"),
                     "stored_as": "", "total": row["total"], "done": row["done"],
                     "status": "failed" if lost else row["status"],
                     "message": "interrupted by the downgrade" if lost else row["message"],
                     "created_by": row["created_by"], "created_at": row["created_at"],
                     "finished_at": row["finished_at"]})
    if rows:
        op.bulk_insert(import_jobs, rows)
    op.drop_table("clients_staging")
    op.drop_table("uploads")
    with op.batch_alter_table("jobs") as batch_op:
        batch_op.drop_index("ix_jobs_kind_model_version")
        batch_op.drop_index("ix_jobs_status")
    op.drop_table("jobs")
