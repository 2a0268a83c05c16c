"""The inbox: which events a consumer has already applied, written in the same transaction as the effect."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Result, literal_column
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from contracts import EventEnvelope
from servicekit.messaging_tables import inbox


async def claim(session: AsyncSession, consumer: str, envelope: EventEnvelope[Any]) -> bool:
    """Record the event as processed by this consumer; False when it already was (a redelivery).

    Two deliveries racing each other both insert; the second waits on the first's key and then finds
    it taken, so exactly one applies the event.
    """
    result: Result[Any] = await session.execute(
        insert(inbox)
        .values(consumer=consumer, event_id=envelope.id, event_type=envelope.type)
        .on_conflict_do_nothing(index_elements=["consumer", "event_id"])
        .returning(literal_column("1"))
    )
    return result.first() is not None
