"""Writing events to the outbox, inside the business transaction that caused them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncConnection

from contracts import EventEnvelope
from servicekit.messaging_tables import outbox


def notify_channel(service_name: str) -> str:
    """The LISTEN/NOTIFY channel that wakes a service's relay when its outbox gets rows."""
    return f"outbox_{service_name}"


# One prebuilt statement for any number of events: the rows arrive as arrays, the insert runs as a
# data-modifying CTE of the statement that wakes the relay, so writing the outbox is one round trip.
# PostgreSQL delivers a NOTIFY at commit and folds identical ones, so one per transaction is enough.
_WRITE_AND_WAKE = text(
    """
    WITH written AS (
        INSERT INTO outbox (event_id, event_type, aggregate_id, aggregate_version, envelope)
        SELECT * FROM unnest(
            CAST(:event_ids AS uuid[]), CAST(:event_types AS text[]), CAST(:aggregate_ids AS uuid[]),
            CAST(:aggregate_versions AS integer[]), CAST(CAST(:envelopes AS text[]) AS jsonb[])
        )
        RETURNING 1
    )
    SELECT pg_notify(:channel, '')
    """
)


async def write_to_outbox(
    session: AsyncConnection, service_name: str, envelopes: Sequence[EventEnvelope[Any]]
) -> None:
    """Insert the events and wake the relay; both take effect only when the transaction commits."""
    if not envelopes:
        return
    await session.execute(
        _WRITE_AND_WAKE,
        {
            "event_ids": [envelope.id for envelope in envelopes],
            "event_types": [envelope.type for envelope in envelopes],
            "aggregate_ids": [envelope.aggregate_id for envelope in envelopes],
            "aggregate_versions": [envelope.aggregate_version for envelope in envelopes],
            # Serialised by pydantic straight to JSON text; PostgreSQL parses it into jsonb once.
            "envelopes": [envelope.model_dump_json(by_alias=True) for envelope in envelopes],
            "channel": notify_channel(service_name),
        },
    )


async def outbox_backlog(session: AsyncConnection) -> int:
    """How many events wait to be published: the `outbox_backlog` metric."""
    result = await session.execute(
        select(func.count()).select_from(outbox).where(outbox.c.published_at.is_(None))
    )
    return int(result.scalar_one())
