"""A consumer for tests: applies events by recording them in its own database, and can be told to fail.

`applied_events` gets one row per event a handler applied, with the id of the transaction that applied
it (so a test sees which events were applied together); `aggregate_copies` is a version-guarded copy,
and `copy_versions` logs each version the copy took, in the order it took them.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import BigInteger, Column, Identity, Index, Integer, Table, Text, Uuid, insert, select, text

from contracts import EventEnvelope
from servicekit.bus import Bus, Topology
from servicekit.consumer import EventConsumer
from servicekit.copies import store_if_newer
from servicekit.db import SessionFactory, new_metadata
from servicekit.handlers import EventHandler, Handler
from servicekit.unit_of_work import UnitOfWork

recording_metadata = new_metadata()

applied_events = Table(
    "applied_events",
    recording_metadata,
    Column("seq", BigInteger, Identity(), primary_key=True),
    Column("consumer", Text, nullable=False),
    Column("event_id", Uuid, nullable=False),
    Column("event_type", Text, nullable=False),
    Column("office_id", Text, nullable=False),
    Column("aggregate_id", Uuid, nullable=False),
    Column("aggregate_version", Integer, nullable=False),
    Column("transaction_id", BigInteger, nullable=False, server_default=text("txid_current()")),
    # Tests and benchmarks count an office's rows every few milliseconds while a consumer writes; without
    # it each count read the whole table (tens of thousands of rows after a benchmark's first rounds).
    Index("ix_applied_events_office_id", "office_id"),
)

aggregate_copies = Table(
    "aggregate_copies",
    recording_metadata,
    Column("aggregate_id", Uuid, primary_key=True),
    Column("office_id", Text, nullable=False),
    Column("aggregate_version", Integer, nullable=False),
    Column("event_id", Uuid, nullable=False),
)

copy_versions = Table(
    "copy_versions",
    recording_metadata,
    Column("seq", BigInteger, Identity(), primary_key=True),
    Column("office_id", Text, nullable=False),
    Column("aggregate_id", Uuid, nullable=False),
    Column("aggregate_version", Integer, nullable=False),
)


RECORD_APPLIED = insert(applied_events)
"""Built once, as a service's handler builds its statements: a statement object reused with new
parameters costs no construction (the consumer benchmark's handler spent a tenth of its time on it)."""


def record_of(consumer: str, envelope: EventEnvelope[Any]) -> dict[str, Any]:
    """The `applied_events` row that says `consumer` applied the event."""
    return {
        "consumer": consumer,
        "event_id": envelope.id,
        "event_type": envelope.type,
        "office_id": envelope.office_id,
        "aggregate_id": envelope.aggregate_id,
        "aggregate_version": envelope.aggregate_version,
    }


def recording_handler(consumer: str, fail_first: int = 0, always_fail: bool = False) -> EventHandler:
    """A handler that records each event it applies; it raises on its first `fail_first` calls per
    event, or on every call."""
    failures: Counter[str] = Counter()

    async def handle(envelope: EventEnvelope[Any], uow: UnitOfWork) -> None:
        await uow.session.execute(RECORD_APPLIED, record_of(consumer, envelope))
        key = str(envelope.id)
        if always_fail or failures[key] < fail_first:
            failures[key] += 1
            raise RuntimeError(f"handler told to fail (try {failures[key]})")

    return handle


def copying_handler(consumer: str) -> EventHandler:
    """A handler that records each event and keeps a version-guarded copy of its aggregate, logging
    every version the copy takes."""

    async def handle(envelope: EventEnvelope[Any], uow: UnitOfWork) -> None:
        await uow.session.execute(RECORD_APPLIED, record_of(consumer, envelope))
        state = {
            "aggregate_id": envelope.aggregate_id,
            "office_id": envelope.office_id,
            "aggregate_version": envelope.aggregate_version,
            "event_id": envelope.id,
        }
        if await store_if_newer(uow.session, aggregate_copies, state):
            await uow.session.execute(
                insert(copy_versions),
                {k: state[k] for k in ("office_id", "aggregate_id", "aggregate_version")},
            )

    return handle


async def recorded(session_factory: SessionFactory, office_id: str) -> list[Any]:
    async with session_factory() as session:
        query = (
            select(applied_events)
            .where(applied_events.c.office_id == office_id)
            .order_by(applied_events.c.seq)
        )
        return list((await session.execute(query)).all())


@asynccontextmanager
async def running_consumer(
    *,
    amqp_url: str,
    topology: Topology,
    session_factory: SessionFactory,
    handlers: Mapping[str, Handler],
    service_name: str = "contact",
    patterns: tuple[str, ...] = ("customer.*",),
    prefetch: int = 200,
    batch_size: int = 50,
    linger_s: float = 0.0,
) -> AsyncIterator[EventConsumer]:
    bus = Bus(amqp_url, topology)
    consumer = EventConsumer(
        service_name=service_name,
        handlers=handlers,
        patterns=patterns,
        session_factory=session_factory,
        bus=bus,
        prefetch=prefetch,
        batch_size=batch_size,
        linger_s=linger_s,
    )
    task = asyncio.create_task(consumer.run())
    try:
        yield consumer
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await bus.close()


async def eventually(check: Callable[[], Any], within: float = 10.0, every: float = 0.05) -> Any:
    """Poll an async check until it returns something truthy; fail with its last result after `within`."""
    deadline = asyncio.get_running_loop().time() + within
    while True:
        result = await check()
        if result:
            return result
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"not true within {within}s; last result: {result!r}")
        await asyncio.sleep(every)
