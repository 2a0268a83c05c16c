"""The customer service's own tables (the outbox, inbox and idempotency tables come from servicekit)."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
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
    Column("organisation_number_compact", Text),
    Column("personal_identity_number", Text),
    Column("country", Text),
    Column("vat_number", Text),
    Column("vat_number_compact", Text),
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
    # Global customers are numbered from one counter, so their numbers are unique organisation-wide.
    Index("uq_customers_global_number", "customer_number", unique=True, postgresql_where=text("is_global")),
    Index("ix_customers_office_organisation_number", "office_id", "organisation_number_compact"),
    Index("ix_customers_category_ids", "category_ids", postgresql_using="gin"),
    # Global customers' numbers are checked across every office.
    Index("ix_customers_number", "customer_number"),
    Index("ix_customers_global", "is_global", postgresql_where=text("is_global")),
)

# Lists are ordered by name; prefix search on name and number uses these. The operator classes go in
# `postgresql_ops`, not in the expression's text, so that the migration drift check can compare them.
Index(
    "ix_customers_office_name",
    customers.c.office_id,
    func.lower(customers.c.name).label("lower_name"),
    customers.c.id,
    postgresql_ops={"lower_name": "text_pattern_ops"},
)
Index(
    "ix_customers_office_number",
    customers.c.office_id,
    customers.c.customer_number,
    postgresql_ops={"customer_number": "text_pattern_ops"},
)

number_sequences = Table(
    "number_sequences",
    metadata,
    # Which PostgreSQL sequence counts the numbers of a scope ("office:<id>" or "global"). Sequences
    # hand out values without locks, so concurrent creates never wait for each other's commits.
    Column("scope", Text, nullable=False),
    Column("sequence_name", Text, nullable=False),
    PrimaryKeyConstraint("scope", name="pk_number_sequences"),
)

office_settings = Table(
    "office_settings",
    metadata,
    # One row per office, created on first change; an office without a row has the defaults.
    Column("office_id", Text, primary_key=True),
    Column("customer_numbering", Text, nullable=False, server_default="auto"),
    Column("customer_number_min_length", Integer, nullable=False, server_default="1"),
    Column("customer_number_max_length", Integer, nullable=False, server_default="20"),
    Column("organisation_number_mandatory", Boolean, nullable=False, server_default="false"),
    Column("organisation_number_unique", Boolean, nullable=False, server_default="false"),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("updated_by", Text),
    Column("version", Integer, nullable=False, server_default="1"),
)

categories = Table(
    "categories",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("office_id", Text, nullable=False),
    Column("name", Text, nullable=False),
    Column("active", Boolean, nullable=False, server_default="true"),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("created_by", Text, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("updated_by", Text, nullable=False),
    Column("version", Integer, nullable=False),
    Index("uq_categories_office_name", "office_id", text("lower(name)"), unique=True),
)

custom_field_definitions = Table(
    "custom_field_definitions",
    metadata,
    Column("office_id", Text, nullable=False),
    Column("key", Text, nullable=False),
    Column("label", Text, nullable=False),
    Column("type", Text, nullable=False),
    Column("options", JSONB, nullable=False, server_default="[]"),
    Column("required", Boolean, nullable=False, server_default="false"),
    Column("position", Integer, nullable=False, server_default="0"),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("version", Integer, nullable=False),
    PrimaryKeyConstraint("office_id", "key", name="pk_custom_field_definitions"),
)

addresses = Table(
    "addresses",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("customer_id", Uuid, ForeignKey("customers.id", ondelete="CASCADE"), nullable=False),
    Column("position", Integer, nullable=False),
    Column("kind", Text, nullable=False),
    Column("label", Text),
    Column("line1", Text),
    Column("line2", Text),
    Column("postal_code", Text),
    Column("city", Text),
    Column("region", Text),
    Column("country", Text),
    Column("contact_id", Uuid),
    Column("comment", Text),
    Column("headquarters", Boolean, nullable=False, server_default="false"),
    Index("ix_addresses_customer", "customer_id", "position"),
    # At most one headquarters per customer, whatever the code does.
    Index("uq_addresses_headquarters", "customer_id", unique=True, postgresql_where=text("headquarters")),
)

external_ids = Table(
    "external_ids",
    metadata,
    # Mirrors customers.external_ids so the database itself keeps an id unique per office and system.
    Column("office_id", Text, nullable=False),
    Column("system", Text, nullable=False),
    Column("value", Text, nullable=False),
    Column("customer_id", Uuid, ForeignKey("customers.id", ondelete="CASCADE"), nullable=False),
    PrimaryKeyConstraint("office_id", "system", "value", name="pk_external_ids"),
    UniqueConstraint("customer_id", "system", name="uq_external_ids_customer_system"),
)

project_links = Table(
    "project_links",
    metadata,
    Column("id", Uuid, primary_key=True),
    # RESTRICT: the database refuses to delete a customer that still has links, as the rule says.
    Column("customer_id", Uuid, ForeignKey("customers.id", ondelete="RESTRICT"), nullable=False),
    Column("system", Text, nullable=False),
    Column("reference", Text, nullable=False),
    Column("title", Text),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("created_by", Text, nullable=False),
    UniqueConstraint("customer_id", "system", "reference", name="uq_project_links_reference"),
)

customer_history = Table(
    "customer_history",
    metadata,
    # No foreign key: the history of a deleted customer stays for audit.
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("customer_id", Uuid, nullable=False),
    Column("office_id", Text, nullable=False),
    Column("version", Integer, nullable=False),
    Column("changed_at", DateTime(timezone=True), nullable=False),
    Column("changed_by", Text, nullable=False),
    Column("changed_by_name", Text),
    Column("field", Text, nullable=False),
    Column("old_value", JSONB),
    Column("new_value", JSONB),
    Index("ix_customer_history_customer", "customer_id", "id"),
)
