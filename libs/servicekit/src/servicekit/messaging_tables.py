"""The outbox, inbox and idempotency-key tables every service holds in its own database, as the code
uses them.

They live on their own MetaData; each service's Alembic environment includes it beside the service's
own tables. Migrations never create them from here: the frozen steps of ``messaging_migrations`` do, and
each service's migration test checks that the migrated schema equals these definitions. A change here
therefore needs a new step there.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Index,
    Integer,
    PrimaryKeyConstraint,
    Table,
    Text,
    Uuid,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB

from servicekit.db import new_metadata

messaging_metadata = new_metadata()

outbox = Table(
    "outbox",
    messaging_metadata,
    # A sequence id gives publishing order; per aggregate it matches commit order, because every change
    # to one aggregate holds that aggregate's row lock until it commits.
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("event_id", Uuid, nullable=False, unique=True),
    Column("event_type", Text, nullable=False),
    Column("aggregate_id", Uuid, nullable=False),
    Column("aggregate_version", Integer, nullable=False),
    Column("envelope", JSONB, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("published_at", DateTime(timezone=True)),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("next_attempt_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("last_error", Text),
    Index("ix_outbox_unpublished", "id", postgresql_where=text("published_at IS NULL")),
    Index(
        "ix_outbox_unpublished_aggregate",
        "aggregate_id",
        "id",
        postgresql_where=text("published_at IS NULL"),
    ),
    Index("ix_outbox_published_at", "published_at", postgresql_where=text("published_at IS NOT NULL")),
    # The events a refusal holds back (only a refusal counts an attempt and moves next_attempt_at ahead):
    # the relay's claim asks for those of each candidate's aggregate, and finds this index nearly empty.
    Index(
        "ix_outbox_refused",
        "aggregate_id",
        "id",
        postgresql_where=text("published_at IS NULL AND attempts > 0"),
    ),
)

inbox = Table(
    "inbox",
    messaging_metadata,
    Column("consumer", Text, nullable=False),
    Column("event_id", Uuid, nullable=False),
    Column("event_type", Text, nullable=False),
    Column("processed_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    PrimaryKeyConstraint("consumer", "event_id", name="pk_inbox"),
    # Housekeeping deletes rows by age (messaging_migrations v2).
    Index("ix_inbox_processed_at", "processed_at"),
)

idempotency_keys = Table(
    "idempotency_keys",
    messaging_metadata,
    # A create repeated with the same Idempotency-Key replays the first answer instead of creating twice.
    Column("office_id", Text, nullable=False),
    Column("key", Text, nullable=False),
    Column("request_fingerprint", Text, nullable=False),
    Column("status_code", Integer, nullable=False),
    Column("response", JSONB, nullable=False),
    Column("headers", JSONB, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    PrimaryKeyConstraint("office_id", "key", name="pk_idempotency_keys"),
    # Housekeeping deletes keys by age (messaging_migrations v2).
    Index("ix_idempotency_keys_created_at", "created_at"),
)
