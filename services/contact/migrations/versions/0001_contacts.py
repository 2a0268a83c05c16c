"""Contacts and their external ids, the customer copy, and the messaging tables (outbox, inbox, idempotency keys).

Revision ID: 0001
Revises:
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from servicekit import copy_migrations, messaging_migrations

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    messaging_migrations.upgrade_v1()
    messaging_migrations.upgrade_v2()
    copy_migrations.upgrade_customer_copies_v1()
    op.create_table(
        "contacts",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("office_id", sa.Text(), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("first_name", sa.Text(), nullable=False),
        sa.Column("last_name", sa.Text(), nullable=False),
        sa.Column("email", sa.Text()),
        sa.Column("phone", sa.Text(), comment="E.164"),
        sa.Column("title", sa.Text()),
        sa.Column("roles", postgresql.JSONB(), server_default="[]", nullable=False),
        sa.Column("keywords", postgresql.JSONB(), server_default="[]", nullable=False),
        sa.Column("main", sa.Boolean(), server_default="false", nullable=False),
        sa.Column("receives_service_reports", sa.Boolean(), server_default="false", nullable=False),
        sa.Column("receives_work_orders", sa.Boolean(), server_default="false", nullable=False),
        sa.Column("language", sa.Text()),
        sa.Column("external_ids", postgresql.JSONB(), server_default="{}", nullable=False),
        sa.Column("active", sa.Boolean(), server_default="true", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_contacts"),
    )
    op.create_index(
        "uq_contacts_main_per_customer",
        "contacts",
        ["office_id", "customer_id"],
        unique=True,
        postgresql_where=sa.text("main"),
    )
    op.create_index(
        "ix_contacts_customer_name",
        "contacts",
        ["office_id", "customer_id", sa.text("lower(last_name)"), sa.text("lower(first_name)"), "id"],
    )
    op.create_index(
        "ix_contacts_office_name",
        "contacts",
        ["office_id", sa.text("lower(last_name)"), sa.text("lower(first_name)"), "id"],
    )
    op.create_index("ix_contacts_customer_id", "contacts", ["customer_id"])
    op.create_table(
        "contact_external_ids",
        sa.Column("office_id", sa.Text(), nullable=False),
        sa.Column("system", sa.Text(), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("contact_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["contact_id"],
            ["contacts.id"],
            name="fk_contact_external_ids_contact_id_contacts",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("office_id", "system", "value", name="pk_contact_external_ids"),
        sa.UniqueConstraint("contact_id", "system", name="uq_contact_external_ids_contact_system"),
    )


def downgrade() -> None:
    op.drop_table("contact_external_ids")
    op.drop_table("contacts")
    copy_migrations.downgrade_customer_copies_v1()
    messaging_migrations.downgrade_v2()
    messaging_migrations.downgrade_v1()
