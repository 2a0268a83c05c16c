"""Messaging tables v2: the inbox and the idempotency keys get indexes by age, for housekeeping.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30
"""

from servicekit import messaging_migrations

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    messaging_migrations.upgrade_v2()


def downgrade() -> None:
    messaging_migrations.downgrade_v2()
