"""The final decision of each application: a decided human review's outcome for the version it
was made on, else the model's decision (what the client list filters and sorts on).

``clients.final_decision`` is kept by the services that import, edit, re-score and decide
reviews (``webapp/clients/final_decision.py``); ``clients.decision`` stays the model's. The
back-fill takes, for each client, the latest decided review made on its current version, and
the model's decision otherwise.

Revision ID: 0004
Revises: 0002
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("clients") as batch_op:
        batch_op.add_column(sa.Column("final_decision", sa.String(length=8), nullable=True))
        batch_op.create_check_constraint(
            "ck_clients_final_decision",
            "final_decision IS NULL OR final_decision IN ('accepted', 'refused')")
        batch_op.create_index("ix_clients_final_decision_probability",
                              ["final_decision", "probability"])
    op.execute("UPDATE clients SET final_decision = decision")
    # The latest decided review on the client's current version wins over the model.
    op.execute("""
        UPDATE clients SET final_decision = (
            SELECT r.final_decision FROM reviews r
            WHERE r.sk_id_curr = clients.sk_id_curr
              AND r.application_version = clients.version
              AND r.status IN ('confirmed', 'overridden')
            ORDER BY r.id DESC LIMIT 1)
        WHERE EXISTS (
            SELECT 1 FROM reviews r
            WHERE r.sk_id_curr = clients.sk_id_curr
              AND r.application_version = clients.version
              AND r.status IN ('confirmed', 'overridden'))
    """)


def downgrade():
    with op.batch_alter_table("clients") as batch_op:
        batch_op.drop_index("ix_clients_final_decision_probability")
        batch_op.drop_constraint("ck_clients_final_decision", type_="check")
        batch_op.drop_column("final_decision")
