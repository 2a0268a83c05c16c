"""Frozen, versioned migration steps of the kit's own tables: outbox, inbox and idempotency keys.

Rule: a step, once released, is never edited. A change to these tables is a new step (``upgrade_v3``,
``downgrade_v3``), and each service adds one Alembic revision that calls it. ``messaging_tables`` then
describes the result, and each service's migration test checks that the two agree.

Reason: a migration must do the same thing on every database, on every day. Created from the live table
definitions, an old revision would quietly build today's schema on a new database while the databases
migrated back then kept the old one, and no later revision would know which one it is upgrading. Each
step therefore spells out its tables and indexes here, with every name written out, instead of
deriving them from ``messaging_tables``; ``tests/unit/test_messaging_migrations.py`` records the DDL each
step emits and fails when it changes.

A service calls the steps from its own revisions, in order: ``upgrade_v1()`` from its first revision
(``downgrade_v1()`` from that revision's downgrade), ``upgrade_v2()`` from a later one, and so on.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql


def upgrade_v1() -> None:
    """v1: the outbox, the inbox and the idempotency keys, as the first services shipped them."""
    op.create_table(
        "outbox",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("event_type", sa.Text(), nullable=False),
        sa.Column("aggregate_id", sa.Uuid(), nullable=False),
        sa.Column("aggregate_version", sa.Integer(), nullable=False),
        sa.Column("envelope", postgresql.JSONB(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True)),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column(
            "next_attempt_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.Column("last_error", sa.Text()),
        sa.PrimaryKeyConstraint("id", name="pk_outbox"),
        sa.UniqueConstraint("event_id", name="uq_outbox_event_id"),
    )
    op.create_index(
        "ix_outbox_unpublished", "outbox", ["id"], postgresql_where=sa.text("published_at IS NULL")
    )
    op.create_index(
        "ix_outbox_unpublished_aggregate",
        "outbox",
        ["aggregate_id", "id"],
        postgresql_where=sa.text("published_at IS NULL"),
    )
    op.create_index(
        "ix_outbox_published_at",
        "outbox",
        ["published_at"],
        postgresql_where=sa.text("published_at IS NOT NULL"),
    )
    op.create_table(
        "inbox",
        sa.Column("consumer", sa.Text(), nullable=False),
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("event_type", sa.Text(), nullable=False),
        sa.Column(
            "processed_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.PrimaryKeyConstraint("consumer", "event_id", name="pk_inbox"),
    )
    op.create_table(
        "idempotency_keys",
        sa.Column("office_id", sa.Text(), nullable=False),
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("request_fingerprint", sa.Text(), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=False),
        sa.Column("response", postgresql.JSONB(), nullable=False),
        sa.Column("headers", postgresql.JSONB(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("office_id", "key", name="pk_idempotency_keys"),
    )


def downgrade_v1() -> None:
    """Undo v1: drop the three tables (with their indexes and the outbox's id sequence)."""
    op.drop_table("idempotency_keys")
    op.drop_table("inbox")
    op.drop_table("outbox")


def upgrade_v2() -> None:
    """v2: indexes by age, so housekeeping finds expired inbox rows and idempotency keys without
    reading the whole table."""
    op.create_index("ix_inbox_processed_at", "inbox", ["processed_at"])
    op.create_index("ix_idempotency_keys_created_at", "idempotency_keys", ["created_at"])


def downgrade_v2() -> None:
    """Undo v2: drop the two age indexes."""
    op.drop_index("ix_idempotency_keys_created_at", table_name="idempotency_keys")
    op.drop_index("ix_inbox_processed_at", table_name="inbox")


def upgrade_v3() -> None:
    """v3: an index of the unpublished events a refusal holds back, so the relay's claim looks up a
    candidate's held-back events without reading every unpublished event (39-50 ms per claim of 200
    at an import's backlog of 70,000-100,000 events, 2.8-3.5 ms with it)."""
    op.create_index(
        "ix_outbox_refused",
        "outbox",
        ["aggregate_id", "id"],
        postgresql_where=sa.text("published_at IS NULL AND attempts > 0"),
    )


def downgrade_v3() -> None:
    """Undo v3: drop the index of refused events."""
    op.drop_index("ix_outbox_refused", table_name="outbox")
