"""Local copies of other services' aggregates, as the code uses them: customers and contacts.

A service that needs another's customers or contacts (SPEC §1) keeps the columns below, fed by events
(``servicekit.local_copies``). Each table has its own MetaData, so a service includes only the copies it
keeps, in its Alembic environment and in its migration test. Its migrations create them with the frozen
steps of ``servicekit.copy_migrations``; a change here needs a new step there.

A deleted aggregate stays as a tombstone (``deleted`` true, with the version of its deletion), so an older
event arriving after the deletion cannot bring it back.
"""

from __future__ import annotations

from sqlalchemy import Boolean, Column, Index, Integer, Table, Text, Uuid

from servicekit.db import new_metadata

customer_copy_metadata = new_metadata()
contact_copy_metadata = new_metadata()

customer_copies = Table(
    "customer_copies",
    customer_copy_metadata,
    Column("id", Uuid, primary_key=True),
    Column("office_id", Text, nullable=False),
    Column("name", Text, nullable=False),
    Column("customer_number", Text),
    Column("country", Text, comment="ISO 3166 alpha-2; the region of phone numbers written without one"),
    Column("active", Boolean, nullable=False),
    Column("global", Boolean, nullable=False),
    Column("deleted", Boolean, nullable=False),
    Column("version", Integer, nullable=False),
)

contact_copies = Table(
    "contact_copies",
    contact_copy_metadata,
    Column("id", Uuid, primary_key=True),
    Column("office_id", Text, nullable=False),
    Column("customer_id", Uuid, nullable=False),
    Column("first_name", Text, nullable=False),
    Column("last_name", Text, nullable=False),
    Column("email", Text),
    Column("phone", Text),
    Column("main", Boolean, nullable=False),
    Column("active", Boolean, nullable=False),
    Column("deleted", Boolean, nullable=False),
    Column("version", Integer, nullable=False),
    Index("ix_contact_copies_customer_id", "customer_id"),
)
