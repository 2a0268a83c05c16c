"""The customer service's own tables (the outbox, inbox and idempotency tables come from servicekit)."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Index,
    Integer,
    PrimaryKeyConstraint,
    Table,
    Text,
    UniqueConstraint,
    Uuid,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB

from servicekit.db import new_metadata

metadata = new_metadata()

customers = Table(
    "customers",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("office_id", Text, nullable=False),
    Column("customer_number", Text),
    Column("name", Text, nullable=False),
    Column("type", Text, nullable=False),
    Column("organisation_number", Text),
    Column("personal_identity_number", Text),
    Column("country", Text),
    Column("vat_number", Text),
    Column("tax_ids", JSONB, nullable=False, server_default="[]"),
    Column("segment", Text),
    Column("category_ids", JSONB, nullable=False, server_default="[]"),
    Column("owner_id", Text),
    Column("owner_name", Text),
    Column("remarks", Text),
    Column("language", Text),
    Column("vat_mode", Text, nullable=False, server_default="normal"),
    Column("custom_fields", JSONB, nullable=False, server_default="{}"),
    Column("external_ids", JSONB, nullable=False, server_default="{}"),
    Column("active", Boolean, nullable=False, server_default="true"),
    Column("is_global", Boolean, nullable=False, server_default="false"),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("created_by", Text, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("updated_by", Text, nullable=False),
    Column("version", Integer, nullable=False),
    UniqueConstraint("office_id", "customer_number", name="uq_customers_office_number"),
    # Lists are ordered by name; prefix search on name and number uses these.
    Index("ix_customers_office_name", "office_id", text("lower(name) text_pattern_ops"), "id"),
    Index("ix_customers_office_number", "office_id", text("customer_number text_pattern_ops")),
    Index("ix_customers_global", "is_global", postgresql_where=text("is_global")),
)

number_sequences = Table(
    "number_sequences",
    metadata,
    # One counter per scope ("office:<id>" or "global"); taken with UPDATE ... RETURNING, so two
    # concurrent creates never draw the same number.
    Column("scope", Text, nullable=False),
    Column("last_value", BigInteger, nullable=False, server_default="0"),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    PrimaryKeyConstraint("scope", name="pk_number_sequences"),
)
