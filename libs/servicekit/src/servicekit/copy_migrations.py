"""Frozen, versioned migration steps of the kit's copy tables (``servicekit.copy_tables``).

The same rule as ``messaging_migrations``: a released step is never edited; a change is a new step, and
each service that keeps the copy adds one Alembic revision that calls it.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


def upgrade_customer_copies_v1() -> None:
    """v1: id, office, name, number, country, active, global, tombstone flag and version."""
    op.create_table(
        "customer_copies",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("office_id", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("customer_number", sa.Text()),
        sa.Column(
            "country",
            sa.Text(),
            comment="ISO 3166 alpha-2; the region of phone numbers written without one",
        ),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("global", sa.Boolean(), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_customer_copies"),
    )


def downgrade_customer_copies_v1() -> None:
    op.drop_table("customer_copies")


def upgrade_contact_copies_v1() -> None:
    """v1: id, office, customer, names, email, phone, main, active, tombstone flag and version."""
    op.create_table(
        "contact_copies",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("office_id", sa.Text(), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("first_name", sa.Text(), nullable=False),
        sa.Column("last_name", sa.Text(), nullable=False),
        sa.Column("email", sa.Text()),
        sa.Column("phone", sa.Text()),
        sa.Column("main", sa.Boolean(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_contact_copies"),
    )
    op.create_index("ix_contact_copies_customer_id", "contact_copies", ["customer_id"])


def downgrade_contact_copies_v1() -> None:
    op.drop_table("contact_copies")
