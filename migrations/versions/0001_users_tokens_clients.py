"""Users, API tokens and clients.

Hand-reviewed from Alembic's autogenerate: portable types only (BigInteger, LargeBinary,
timezone-aware DateTime), named constraints, batch mode for the indexes (SQLite).

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_login_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("role IN ('advisor', 'admin')", name="ck_users_role"),
        sa.PrimaryKeyConstraint("id", name="pk_users"),
    )
    with op.batch_alter_table("users") as batch_op:
        batch_op.create_index("ix_users_email", ["email"], unique=True)

    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name="fk_api_tokens_user_id_users",
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_api_tokens"),
    )
    with op.batch_alter_table("api_tokens") as batch_op:
        batch_op.create_index("ix_api_tokens_token_hash", ["token_hash"], unique=True)
        batch_op.create_index("ix_api_tokens_user_id", ["user_id"], unique=False)

    op.create_table(
        "clients",
        sa.Column("sk_id_curr", sa.BigInteger(), autoincrement=False, nullable=False),
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
        sa.CheckConstraint("decision IS NULL OR decision IN ('accepted', 'refused')",
                           name="ck_clients_decision"),
        sa.PrimaryKeyConstraint("sk_id_curr", name="pk_clients"),
    )
    with op.batch_alter_table("clients") as batch_op:
        batch_op.create_index("ix_clients_decision_probability", ["decision", "probability"],
                              unique=False)
        batch_op.create_index("ix_clients_probability", ["probability"], unique=False)


def downgrade():
    with op.batch_alter_table("clients") as batch_op:
        batch_op.drop_index("ix_clients_probability")
        batch_op.drop_index("ix_clients_decision_probability")
    op.drop_table("clients")
    with op.batch_alter_table("api_tokens") as batch_op:
        batch_op.drop_index("ix_api_tokens_user_id")
        batch_op.drop_index("ix_api_tokens_token_hash")
    op.drop_table("api_tokens")
    with op.batch_alter_table("users") as batch_op:
        batch_op.drop_index("ix_users_email")
    op.drop_table("users")
