"""Activities, the copies of customers and contacts, and the messaging tables (outbox, inbox, idempotency
keys).

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
    copy_migrations.upgrade_contact_copies_v1()
    op.create_table(
        "activities",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("office_id", sa.Text(), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("body", sa.Text()),
        sa.Column("author_id", sa.Text(), nullable=False),
        sa.Column("author_name", sa.Text()),
        sa.Column("contact_ids", postgresql.ARRAY(sa.Uuid()), nullable=False),
        sa.Column("project_system", sa.Text()),
        sa.Column("project_reference", sa.Text()),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True)),
        sa.Column("starts_at", sa.DateTime(timezone=True)),
        sa.Column("ends_at", sa.DateTime(timezone=True)),
        sa.Column("status", sa.Text()),
        sa.Column("done_at", sa.DateTime(timezone=True)),
        sa.Column("done_by", sa.Text()),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_activities"),
    )
    op.create_index("ix_activities_customer_occurred", "activities", ["customer_id", "occurred_at", "id"])
    op.create_index("ix_activities_office_occurred", "activities", ["office_id", "occurred_at", "id"])
    op.create_index("ix_activities_contact_ids", "activities", ["contact_ids"], postgresql_using="gin")


def downgrade() -> None:
    op.drop_table("activities")
    copy_migrations.downgrade_contact_copies_v1()
    copy_migrations.downgrade_customer_copies_v1()
    messaging_migrations.downgrade_v2()
    messaging_migrations.downgrade_v1()
