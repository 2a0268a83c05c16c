"""The activity service's own tables (the outbox, inbox and idempotency tables and the customer and contact
copies come from servicekit)."""

from __future__ import annotations

from sqlalchemy import Column, DateTime, Index, Integer, Table, Text, Uuid
from sqlalchemy.dialects.postgresql import ARRAY

from servicekit.db import new_metadata

metadata = new_metadata()

activities = Table(
    "activities",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("office_id", Text, nullable=False),
    # No foreign key: the customer lives in the customer service (a copy of it in customer_copies).
    Column("customer_id", Uuid, nullable=False),
    Column("kind", Text, nullable=False),
    Column("subject", Text, nullable=False),
    Column("body", Text),
    Column("author_id", Text, nullable=False),
    Column("author_name", Text),
    Column("contact_ids", ARRAY(Uuid), nullable=False),
    Column("project_system", Text),
    Column("project_reference", Text),
    Column("occurred_at", DateTime(timezone=True), nullable=False),
    Column("due_at", DateTime(timezone=True)),
    Column("starts_at", DateTime(timezone=True)),
    Column("ends_at", DateTime(timezone=True)),
    Column("status", Text),
    Column("done_at", DateTime(timezone=True)),
    Column("done_by", Text),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("created_by", Text, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("updated_by", Text, nullable=False),
    Column("version", Integer, nullable=False),
    # A customer's log, newest first; also finds every activity of a deleted customer, in any office
    # (a global customer's activities are logged by several offices).
    Index("ix_activities_customer_occurred", "customer_id", "occurred_at", "id"),
    # The office's whole log (lists by author, kind or date without a customer), and the export.
    Index("ix_activities_office_occurred", "office_id", "occurred_at", "id"),
    # Lists per contact, and the activities a deleted contact must leave.
    Index("ix_activities_contact_ids", "contact_ids", postgresql_using="gin"),
)
