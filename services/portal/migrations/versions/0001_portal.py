"""Catalogs, portal access, customer users with their refresh tokens and password resets, the login
throttle, the customer and contact copies, and the messaging tables (outbox, inbox, idempotency keys).

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
        "catalogs",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("office_id", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_catalogs"),
    )
    op.create_index("ix_catalogs_office_name", "catalogs", ["office_id", sa.text("lower(name)"), "id"])
    op.create_table(
        "portal_access",
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("office_id", sa.Text(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("address", sa.Text()),
        sa.Column("catalog_ids", postgresql.JSONB(), server_default="[]", nullable=False),
        sa.Column("resources", postgresql.JSONB(), server_default="{}", nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("customer_id", name="pk_portal_access"),
    )
    op.create_table(
        "portal_users",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("office_id", sa.Text(), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("contact_id", sa.Uuid(), nullable=False),
        sa.Column("email", sa.Text(), nullable=False, comment="lower case; the login name"),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("permissions", postgresql.JSONB(), server_default="[]", nullable=False),
        sa.Column("status", sa.Text(), nullable=False, comment="invited, active, disabled"),
        sa.Column("password_hash", sa.Text(), comment="argon2id; null until the invitation is accepted"),
        sa.Column("invitation_hash", sa.Text(), comment="sha256 of the open invitation's token"),
        sa.Column("invitation_expires_at", sa.DateTime(timezone=True)),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_portal_users"),
        sa.UniqueConstraint("contact_id", name="uq_portal_users_contact_id"),
    )
    op.create_index("uq_portal_users_email", "portal_users", ["email"], unique=True)
    op.create_index("ix_portal_users_customer", "portal_users", ["customer_id"])
    op.create_index("uq_portal_users_invitation", "portal_users", ["invitation_hash"], unique=True)
    op.create_table(
        "refresh_tokens",
        sa.Column(
            "token_hash", sa.Text(), nullable=False, comment="sha256 of the token; the token is never stored"
        ),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column(
            "family_id", sa.Uuid(), nullable=False, comment="one login; reusing a rotated token ends it all"
        ),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "rotated_at", sa.DateTime(timezone=True), comment="set when it was exchanged for a new one"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["portal_users.id"],
            name="fk_refresh_tokens_user_id_portal_users",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("token_hash", name="pk_refresh_tokens"),
    )
    op.create_index("ix_refresh_tokens_family", "refresh_tokens", ["family_id"])
    op.create_index("ix_refresh_tokens_user", "refresh_tokens", ["user_id"])
    op.create_table(
        "password_resets",
        sa.Column("token_hash", sa.Text(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True)),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["portal_users.id"],
            name="fk_password_resets_user_id_portal_users",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("token_hash", name="pk_password_resets"),
    )
    op.create_index("ix_password_resets_user", "password_resets", ["user_id"])
    op.create_table(
        "login_throttle",
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("window_started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True)),
        sa.PrimaryKeyConstraint("key", name="pk_login_throttle"),
    )


def downgrade() -> None:
    op.drop_table("login_throttle")
    op.drop_table("password_resets")
    op.drop_table("refresh_tokens")
    op.drop_table("portal_users")
    op.drop_table("portal_access")
    op.drop_table("catalogs")
    copy_migrations.downgrade_contact_copies_v1()
    copy_migrations.downgrade_customer_copies_v1()
    messaging_migrations.downgrade_v2()
    messaging_migrations.downgrade_v1()
