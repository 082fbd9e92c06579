"""Image evaluations as jobs (issue 15): the ``vision_eval`` kind, and ``job_results`` where a
finished job keeps what it produced for its reader (the evaluation's figures and its
misclassified photos, as JSON), so that every web process shows it.

The uploaded ZIP waits in ``uploads`` (0006), like a CSV import's file.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

OLD_KINDS = "kind IN ('import', 'rescore', 'train')"
NEW_KINDS = "kind IN ('import', 'rescore', 'train', 'vision_eval')"


def upgrade():
    with op.batch_alter_table("jobs") as batch_op:
        batch_op.drop_constraint("ck_jobs_kind", type_="check")
        batch_op.create_check_constraint("ck_jobs_kind", NEW_KINDS)
    op.create_table(
        "job_results",
        sa.Column("job_id", sa.Integer(), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["job_id"], ["jobs.id"], name="fk_job_results_job_id",
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("job_id", name="pk_job_results"),
    )


def downgrade():
    op.drop_table("job_results")
    # The older schema has no such kind: its jobs go (housekeeping removes their uploads).
    jobs = sa.table("jobs", sa.column("kind", sa.String()), sa.column("params", sa.Text()))
    op.execute(jobs.delete().where(jobs.c.kind == "vision_eval"))
    with op.batch_alter_table("jobs") as batch_op:
        batch_op.drop_constraint("ck_jobs_kind", type_="check")
        batch_op.create_check_constraint("ck_jobs_kind", OLD_KINDS)
