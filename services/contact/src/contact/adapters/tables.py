"""The contact service's own tables (the outbox, inbox, idempotency and customer-copy tables come from
servicekit)."""

from __future__ import annotations

from sqlalchemy import (
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
    text,
)
from sqlalchemy.dialects.postgresql import JSONB

from servicekit.db import new_metadata

metadata = new_metadata()

contacts = Table(
    "contacts",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("office_id", Text, nullable=False),
    # No foreign key: the customer lives in the customer service; customer_copies holds what we know of it.
    Column("customer_id", Uuid, nullable=False),
    Column("first_name", Text, nullable=False),
    Column("last_name", Text, nullable=False),
    Column("email", Text),
    Column("phone", Text, comment="E.164"),
    Column("title", Text),
    Column("roles", JSONB, nullable=False, server_default="[]"),
    Column("keywords", JSONB, nullable=False, server_default="[]"),
    Column("main", Boolean, nullable=False, server_default="false"),
    Column("receives_service_reports", Boolean, nullable=False, server_default="false"),
    Column("receives_work_orders", Boolean, nullable=False, server_default="false"),
    Column("language", Text),
    Column("external_ids", JSONB, nullable=False, server_default="{}"),
    Column("active", Boolean, nullable=False, server_default="true"),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("created_by", Text, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("updated_by", Text, nullable=False),
    Column("version", Integer, nullable=False),
    # At most one main contact per customer (and office), whatever the code does.
    Index(
        "uq_contacts_main_per_customer",
        "office_id",
        "customer_id",
        unique=True,
        postgresql_where=text("main"),
    ),
    # Lists are ordered by name, per customer or across the office.
    Index(
        "ix_contacts_customer_name",
        "office_id",
        "customer_id",
        text("lower(last_name)"),
        text("lower(first_name)"),
        "id",
    ),
    Index("ix_contacts_office_name", "office_id", text("lower(last_name)"), text("lower(first_name)"), "id"),
    # A deleted customer's contacts are found in every office.
    Index("ix_contacts_customer_id", "customer_id"),
)

external_ids = Table(
    "contact_external_ids",
    metadata,
    # Mirrors contacts.external_ids so the database itself keeps an id unique per office and system.
    Column("office_id", Text, nullable=False),
    Column("system", Text, nullable=False),
    Column("value", Text, nullable=False),
    Column("contact_id", Uuid, ForeignKey("contacts.id", ondelete="CASCADE"), nullable=False),
    PrimaryKeyConstraint("office_id", "system", "value", name="pk_contact_external_ids"),
    UniqueConstraint("contact_id", "system", name="uq_contact_external_ids_contact_system"),
)
