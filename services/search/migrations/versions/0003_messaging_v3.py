"""Messaging tables v3: an index of the outbox events a refusal holds back, for the relay's claim.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01
"""

from servicekit import messaging_migrations

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    messaging_migrations.upgrade_v3()


def downgrade() -> None:
    messaging_migrations.downgrade_v3()
