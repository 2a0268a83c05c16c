"""The latest states of customers, contacts and categories the index is built from, and the messaging
tables (outbox, inbox, idempotency keys).

Revision ID: 0001
Revises:
Create Date: 2026-11-30
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
    messaging_migrations.upgrade_v2()
    op.create_table(
        "search_customers",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("office_id", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("deleted", sa.Boolean(), server_default="false", nullable=False),
        sa.Column("category_ids", postgresql.ARRAY(sa.Uuid()), server_default="{}", nullable=False),
        sa.Column(
            "state", postgresql.JSONB(), nullable=False, comment="CustomerState as the event carried it"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_search_customers"),
    )
    op.create_index(
        "ix_search_customers_category_ids", "search_customers", ["category_ids"], postgresql_using="gin"
    )
    op.create_table(
        "search_contacts",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("deleted", sa.Boolean(), server_default="false", nullable=False),
        sa.Column(
            "state", postgresql.JSONB(), nullable=False, comment="ContactState as the event carried it"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_search_contacts"),
    )
    op.create_index("ix_search_contacts_customer_id", "search_contacts", ["customer_id"])
    op.create_table(
        "search_categories",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("office_id", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("deleted", sa.Boolean(), server_default="false", nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_search_categories"),
    )


def downgrade() -> None:
    op.drop_table("search_categories")
    op.drop_table("search_contacts")
    op.drop_table("search_customers")
    messaging_migrations.downgrade_v2()
    messaging_migrations.downgrade_v1()
