"""The index rebuild's row: its state, progress and the new index live events are also written to.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "search_rebuild",
        sa.Column("id", sa.Integer(), nullable=False, comment="Always 1: one rebuild at a time"),
        sa.Column("state", sa.Text(), nullable=False, comment="running, done or failed"),
        sa.Column("target_index", sa.Text(), nullable=True, comment="The new index while the rebuild runs"),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("written", sa.Integer(), server_default="0", nullable=False),
        sa.Column("total", sa.Integer(), server_default="0", nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_search_rebuild"),
    )


def downgrade() -> None:
    op.drop_table("search_rebuild")
