"""Customers, number sequences, and the messaging tables (outbox, inbox, idempotency keys).

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from servicekit import messaging_migrations

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    messaging_migrations.upgrade_v1()
    op.create_table(
        "customers",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("office_id", sa.Text(), nullable=False),
        sa.Column("customer_number", sa.Text()),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("type", sa.Text(), nullable=False),
        sa.Column("organisation_number", sa.Text()),
        sa.Column("personal_identity_number", sa.Text()),
        sa.Column("country", sa.Text()),
        sa.Column("vat_number", sa.Text()),
        sa.Column("tax_ids", postgresql.JSONB(), server_default="[]", nullable=False),
        sa.Column("segment", sa.Text()),
        sa.Column("category_ids", postgresql.JSONB(), server_default="[]", nullable=False),
        sa.Column("owner_id", sa.Text()),
        sa.Column("owner_name", sa.Text()),
        sa.Column("remarks", sa.Text()),
        sa.Column("language", sa.Text()),
        sa.Column("vat_mode", sa.Text(), server_default="normal", nullable=False),
        sa.Column("custom_fields", postgresql.JSONB(), server_default="{}", nullable=False),
        sa.Column("external_ids", postgresql.JSONB(), server_default="{}", nullable=False),
        sa.Column("active", sa.Boolean(), server_default="true", nullable=False),
        sa.Column("is_global", sa.Boolean(), server_default="false", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_customers"),
        sa.UniqueConstraint("office_id", "customer_number", name="uq_customers_office_number"),
    )
    op.create_index(
        "ix_customers_office_name", "customers", ["office_id", sa.text("lower(name) text_pattern_ops"), "id"]
    )
    op.create_index(
        "ix_customers_office_number", "customers", ["office_id", sa.text("customer_number text_pattern_ops")]
    )
    op.create_index("ix_customers_global", "customers", ["is_global"], postgresql_where=sa.text("is_global"))
    op.create_table(
        "number_sequences",
        sa.Column("scope", sa.Text(), nullable=False),
        sa.Column("last_value", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("scope", name="pk_number_sequences"),
    )


def downgrade() -> None:
    op.drop_table("number_sequences")
    op.drop_table("customers")
    messaging_migrations.downgrade_v1()
