"""The inbox: which events a consumer has already applied, written in the same transaction as the effect.

Rule: a batch claims all its events in one statement, before any handler runs; the claims of events
that end up not applied (a failing handler, an event held back behind its aggregate's failed one) are
deleted again in the same transaction, before it commits. Reason: one round trip per batch instead of
one per event; and a claim row that never commits was never seen by anyone, so deleting it undoes it
exactly as a savepoint rollback would have.

Before claiming, a batch takes a transaction-scoped advisory lock on each of its aggregates, all in one
statement and in ascending order. Reason: competing consumers (replicas on one queue) whose batches
share aggregates then take turns instead of deadlocking on the handlers' rows (a deadlock would cost
its victim a try), and two replicas never apply events of one aggregate at the same time.
"""

from __future__ import annotations

import uuid
import zlib
from collections.abc import Collection, Sequence
from typing import Any

from sqlalchemy import bindparam, delete, text
from sqlalchemy.dialects.postgresql import ARRAY, INTEGER, TEXT, UUID
from sqlalchemy.ext.asyncio import AsyncConnection

from contracts import EventEnvelope
from servicekit.messaging_tables import inbox

_CLAIM = text(
    """
    INSERT INTO inbox (consumer, event_id, event_type)
    SELECT :consumer, claimed.event_id, claimed.event_type
    FROM unnest(:event_ids, :event_types) AS claimed(event_id, event_type)
    ON CONFLICT (consumer, event_id) DO NOTHING
    RETURNING event_id
    """
).bindparams(
    bindparam("event_ids", type_=ARRAY(UUID(as_uuid=True))), bindparam("event_types", type_=ARRAY(TEXT))
)

_LOCK_AGGREGATES = text(
    "SELECT pg_advisory_xact_lock(:space, aggregate) FROM unnest(:aggregates) AS aggregate"
).bindparams(bindparam("aggregates", type_=ARRAY(INTEGER)))


async def claim(
    session: AsyncConnection, consumer: str, events: Sequence[EventEnvelope[Any]]
) -> set[uuid.UUID]:
    """Record the events as processed by this consumer; return the ids this transaction claimed. The
    others were already applied (a redelivery).

    Two transactions racing for one event both insert; the second waits on the first's key and then
    finds it taken, or free again if the first rolled back or released it. Ids are inserted in sorted
    order, so two batches claiming the same events never wait for each other in a circle.
    """
    if not events:
        return set()
    ordered = sorted({event.id: event for event in events}.values(), key=lambda event: event.id)
    result = await session.execute(
        _CLAIM,
        {
            "consumer": consumer,
            "event_ids": [event.id for event in ordered],
            "event_types": [event.type for event in ordered],
        },
    )
    return set(result.scalars())


async def release(session: AsyncConnection, consumer: str, event_ids: Collection[uuid.UUID]) -> None:
    """Take back claims of this transaction whose events were not applied after all."""
    if event_ids:
        await session.execute(
            delete(inbox).where(inbox.c.consumer == consumer, inbox.c.event_id.in_(list(event_ids)))
        )


async def lock_aggregates(
    session: AsyncConnection, consumer: str, aggregate_ids: Collection[uuid.UUID]
) -> None:
    """Wait until no other transaction of this consumer holds any of these aggregates, then hold them
    until this transaction ends."""
    if not aggregate_ids:
        return
    # Keys are 32-bit: two aggregates sharing one merely take turns, which is harmless.
    keys = sorted({_signed_32(aggregate.int) for aggregate in aggregate_ids})
    await session.execute(_LOCK_AGGREGATES, {"space": lock_space(consumer), "aggregates": keys})


def lock_space(consumer: str) -> int:
    """The first key of a consumer's aggregate locks, so they meet no other advisory lock."""
    return _signed_32(zlib.crc32(f"inbox-aggregate:{consumer}".encode()))


def _signed_32(value: int) -> int:
    value &= 0xFFFFFFFF
    return value - (1 << 32) if value >= 1 << 31 else value
