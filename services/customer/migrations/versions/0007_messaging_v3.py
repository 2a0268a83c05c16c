"""Messaging tables v3: an index of the outbox events a refusal holds back, for the relay's claim.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01
"""

from servicekit import messaging_migrations

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    messaging_migrations.upgrade_v3()


def downgrade() -> None:
    messaging_migrations.downgrade_v3()
