"""The portal service's own tables (the outbox, inbox, idempotency and the customer and contact copies come
from servicekit)."""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Table,
    Text,
    Uuid,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB

from servicekit.db import new_metadata

metadata = new_metadata()

catalogs = Table(
    "catalogs",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("office_id", Text, nullable=False),
    Column("name", Text, nullable=False),
    Column("active", Boolean, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("updated_by", Text, nullable=False),
    Column("version", Integer, nullable=False),
    Index("ix_catalogs_office_name", "office_id", text("lower(name)"), "id"),
)

portal_access = Table(
    "portal_access",
    metadata,
    # One per customer; no foreign key: the customer lives in the customer service.
    Column("customer_id", Uuid, primary_key=True),
    Column("office_id", Text, nullable=False),
    Column("enabled", Boolean, nullable=False),
    Column("address", Text),
    Column("catalog_ids", JSONB, nullable=False, server_default="[]"),
    Column("resources", JSONB, nullable=False, server_default="{}"),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("updated_by", Text, nullable=False),
    Column("version", Integer, nullable=False),
)

portal_users = Table(
    "portal_users",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("office_id", Text, nullable=False),
    Column("customer_id", Uuid, nullable=False),
    Column("contact_id", Uuid, nullable=False, unique=True),
    Column("email", Text, nullable=False, comment="lower case; the login name"),
    Column("name", Text, nullable=False),
    Column("permissions", JSONB, nullable=False, server_default="[]"),
    Column("status", Text, nullable=False, comment="invited, active, disabled"),
    Column("password_hash", Text, comment="argon2id; null until the invitation is accepted"),
    Column("invitation_hash", Text, comment="sha256 of the open invitation's token"),
    Column("invitation_expires_at", DateTime(timezone=True)),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("updated_by", Text, nullable=False),
    Column("version", Integer, nullable=False),
    Index("uq_portal_users_email", "email", unique=True),
    Index("ix_portal_users_customer", "customer_id"),
    Index("uq_portal_users_invitation", "invitation_hash", unique=True),
)

refresh_tokens = Table(
    "refresh_tokens",
    metadata,
    Column("token_hash", Text, primary_key=True, comment="sha256 of the token; the token is never stored"),
    Column("user_id", Uuid, ForeignKey("portal_users.id", ondelete="CASCADE"), nullable=False),
    Column("family_id", Uuid, nullable=False, comment="one login; reusing a rotated token ends it all"),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("rotated_at", DateTime(timezone=True), comment="set when it was exchanged for a new one"),
    Index("ix_refresh_tokens_family", "family_id"),
    Index("ix_refresh_tokens_user", "user_id"),
)

password_resets = Table(
    "password_resets",
    metadata,
    Column("token_hash", Text, primary_key=True),
    Column("user_id", Uuid, ForeignKey("portal_users.id", ondelete="CASCADE"), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("used_at", DateTime(timezone=True)),
    Index("ix_password_resets_user", "user_id"),
)

login_throttle = Table(
    "login_throttle",
    metadata,
    # `email:<address>` or `client:<ip>`: an email counts the same whether or not a user has it.
    Column("key", Text, primary_key=True),
    Column("failures", Integer, nullable=False),
    Column("window_started_at", DateTime(timezone=True), nullable=False),
    Column("locked_until", DateTime(timezone=True)),
)
