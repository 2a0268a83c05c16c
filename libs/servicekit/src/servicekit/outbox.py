"""Writing events to the outbox, inside the business transaction that caused them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from contracts import EventEnvelope
from servicekit.messaging_tables import outbox


def notify_channel(service_name: str) -> str:
    """The LISTEN/NOTIFY channel that wakes a service's relay when its outbox gets rows."""
    return f"outbox_{service_name}"


async def write_to_outbox(
    session: AsyncConnection, service_name: str, envelopes: Sequence[EventEnvelope[Any]]
) -> None:
    """Insert the events and wake the relay, in one statement (one round trip); both take effect only
    when the transaction commits."""
    if not envelopes:
        return
    rows = [
        {
            "event_id": envelope.id,
            "event_type": envelope.type,
            "aggregate_id": envelope.aggregate_id,
            "aggregate_version": envelope.aggregate_version,
            "envelope": envelope.model_dump(mode="json", by_alias=True),
        }
        for envelope in envelopes
    ]
    written = insert(outbox).values(rows).returning(outbox.c.id).cte("written")
    # PostgreSQL delivers a NOTIFY at commit and folds identical ones, so one per transaction is enough.
    # The insert runs as a data-modifying CTE of the statement that sends the notification.
    wake_relay = select(func.pg_notify(notify_channel(service_name), "")).add_cte(written)
    await session.execute(wake_relay)


async def outbox_backlog(session: AsyncConnection) -> int:
    """How many events wait to be published: the `outbox_backlog` metric."""
    result = await session.execute(
        select(func.count()).select_from(outbox).where(outbox.c.published_at.is_(None))
    )
    return int(result.scalar_one())
