"""The customer service's copy of contacts (servicekit.copy_tables), fed by contact.* events: an address's
contact must be a contact of its customer.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30
"""

from servicekit import copy_migrations

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    copy_migrations.upgrade_contact_copies_v1()


def downgrade() -> None:
    copy_migrations.downgrade_contact_copies_v1()
