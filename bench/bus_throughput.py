"""How much the outbox relay's batching and the consumer's batches buy, measured.

Each measurement runs against the real PostgreSQL and RabbitMQ of the test set-up and is compared with
a baseline run in the same process on the same data:
- relay: one event per transaction, each publish awaiting its own confirm (batch size 1), against the
  relay's batches published in pipelined waves;
- consumer: plain aio-pika consuming the same 1 KB messages from the same kind of queue with the same
  prefetch and one ack per message (no database at all), against `EventConsumer` with a handler that
  writes one row per event, one event per transaction (batch size 1) and in batches of up to 50; and
  with a batch handler that writes a batch's rows in one statement. Consumer rounds are interleaved and
  the median printed, because a shared machine's load swings from one second to the next.
Prints events per second and the ratios; asserts nothing (these machines are noisy).

Run: `uv run python bench/bus_throughput.py [--events 2000] [--rounds 3] [--only relay|consumer]` after
`scripts/test.sh` or `scripts/up.sh` (it reads the same CRM_TEST_* variables as the tests, with the same
local defaults). `measure_consumer` is the consumer part on its own, for other benchmarks to call.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import aio_pika
from aio_pika.abc import AbstractIncomingMessage
from sqlalchemy import func, insert, select

from contracts import Actor, EventEnvelope
from servicekit import batches
from servicekit import consumer as consumer_module
from servicekit.bus import Bus, Topology, declare_service_queue, delete_topology
from servicekit.db import SessionFactory, create_engine, create_session_factory
from servicekit.handlers import ALL_APPLIED, BatchOutcome, Handler
from servicekit.messaging_tables import messaging_metadata, outbox
from servicekit.relay import OutboxRelay
from servicekit.testing.consumers import (
    applied_events,
    record_of,
    recording_handler,
    recording_metadata,
    running_consumer,
)
from servicekit.testing.databases import create_database, drop_database, with_database
from servicekit.testing.infrastructure import local_infrastructure
from servicekit.unit_of_work import UnitOfWork

AGGREGATES = 100


def envelopes(count: int, office_id: str) -> list[dict]:
    aggregates = [uuid.uuid4() for _ in range(AGGREGATES)]
    rows = []
    for n in range(count):
        envelope = EventEnvelope[dict](
            type="customer.pinged",
            schema_version=1,
            office_id=office_id,
            aggregate_id=aggregates[n % AGGREGATES],
            aggregate_version=n // AGGREGATES + 1,
            correlation_id="bench",
            actor=Actor(kind="service", id="bench"),
            payload={"n": n, "padding": "x" * 800},  # about the size of a customer event
        )
        rows.append(
            {
                "event_id": envelope.id,
                "event_type": envelope.type,
                "aggregate_id": envelope.aggregate_id,
                "aggregate_version": envelope.aggregate_version,
                "envelope": envelope.model_dump(mode="json"),
            }
        )
    return rows


async def time_relay(sessions, database_url: str, bus: Bus, count: int, batch_size: int) -> float:
    async with sessions() as session, session.begin():
        await session.execute(insert(outbox), envelopes(count, "bench"))
    relay = OutboxRelay(
        service_name="bench",
        session_factory=sessions,
        listen_dsn=database_url,
        bus=bus,
        batch_size=batch_size,
    )
    connection = await bus.connection()
    async with connection.channel(publisher_confirms=True, on_return_raises=True) as channel:
        exchange = await channel.declare_exchange(
            bus.topology.exchange, aio_pika.ExchangeType.TOPIC, durable=True
        )
        started = time.perf_counter()
        published = 0
        while published < count:
            published += await relay.publish_batch(exchange)
        return time.perf_counter() - started


async def publish_events(infra, topology: Topology, count: int, office_id: str) -> None:
    connection = await aio_pika.connect(infra.amqp_url)
    async with connection:
        channel = await connection.channel(publisher_confirms=True)
        await declare_service_queue(channel, topology, "contact", ("customer.*",))
        exchange = await channel.get_exchange(topology.exchange)
        await asyncio.gather(
            *(
                exchange.publish(
                    aio_pika.Message(
                        EventEnvelope[dict](**row["envelope"]).model_dump_json().encode(),
                        delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                    ),
                    "customer.pinged",
                )
                for row in envelopes(count, office_id)
            )
        )


async def time_raw_consume(infra, topology: Topology, count: int, prefetch: int) -> float:
    """The floor under any consumer: aio-pika taking the messages off the queue, one ack each."""
    await publish_events(infra, topology, count, "raw")
    connection = await aio_pika.connect(infra.amqp_url)
    async with connection:
        channel = await connection.channel()
        await channel.set_qos(prefetch_count=prefetch)
        queue = await channel.get_queue(topology.queue_name("contact"))
        done = asyncio.Event()
        acked = 0

        async def on_message(message: AbstractIncomingMessage) -> None:
            nonlocal acked
            await message.ack()
            acked += 1
            if acked == count:
                done.set()

        started = time.perf_counter()
        tag = await queue.consume(on_message)
        await done.wait()
        elapsed = time.perf_counter() - started
        await queue.cancel(tag)
        return elapsed


class BulkRecorder:
    """A batch handler: the batch's rows in one statement (like one OpenSearch bulk request)."""

    async def apply_batch(self, events: Sequence[EventEnvelope[Any]], uow: UnitOfWork) -> BatchOutcome:
        await uow.session.execute(insert(applied_events), [record_of("contact", event) for event in events])
        return ALL_APPLIED


async def time_consumer(
    infra, topology: Topology, sessions, count: int, prefetch: int, batch_size: int, handler: Handler
) -> float:
    office_id = f"bench-{uuid.uuid4().hex[:8]}"
    await publish_events(infra, topology, count, office_id)
    started = time.perf_counter()
    async with running_consumer(
        amqp_url=infra.amqp_url,
        topology=topology,
        session_factory=sessions,
        handlers={"customer.pinged": handler},
        prefetch=prefetch,
        batch_size=batch_size,
    ):
        while True:
            async with sessions() as session:
                done = (
                    await session.execute(
                        select(func.count())
                        .select_from(applied_events)
                        .where(applied_events.c.office_id == office_id)
                    )
                ).scalar_one()
            if done >= count:
                return time.perf_counter() - started
            await asyncio.sleep(0.02)


async def with_a_savepoint_per_event(measurement: Awaitable[float]) -> float:
    """The measurement with the consumer applying every batch as it does after a failure (each handler
    call in a savepoint), as it did every batch before it tried without savepoints first."""
    original = consumer_module.apply_batch
    consumer_module.apply_batch = batches.apply_in_one_transaction
    try:
        return await measurement
    finally:
        consumer_module.apply_batch = original


async def measure_consumer(infra, sessions, topology: Topology, count: int, rounds: int) -> dict[str, float]:
    """Events per second (the median of `rounds`) of the raw baseline and each consumer variant."""
    prefetch, batch_size = 200, 50
    variants = {
        RAW: lambda: time_raw_consume(infra, topology, count, prefetch),
        "EventConsumer, a row per event, batch 1": lambda: time_consumer(
            infra, topology, sessions, count, prefetch, 1, recording_handler("contact")
        ),
        "EventConsumer, a row per event, batch 50": lambda: time_consumer(
            infra, topology, sessions, count, prefetch, batch_size, recording_handler("contact")
        ),
        "  the same, a savepoint per event always": lambda: with_a_savepoint_per_event(
            time_consumer(
                infra, topology, sessions, count, prefetch, batch_size, recording_handler("contact")
            )
        ),
        "EventConsumer, batch handler, batch 50": lambda: time_consumer(
            infra, topology, sessions, count, prefetch, batch_size, BulkRecorder()
        ),
    }
    rates: dict[str, list[float]] = {name: [] for name in variants}
    for _ in range(rounds):
        for name, measure in variants.items():
            rates[name].append(count / await measure())
    return {name: statistics.median(values) for name, values in rates.items()}


RAW = "aio-pika consume, one ack per message"


def report(
    title: str, count: int, baseline: float, measured: float, baseline_name: str, measured_name: str
) -> None:
    print(f"\n{title} ({count} events)")
    print(f"  {baseline_name:<42} {count / baseline:>9.0f} events/s")
    print(f"  {measured_name:<42} {count / measured:>9.0f} events/s")
    print(f"  ratio: {baseline / measured:.1f}x")


def report_consumer(count: int, rounds: int, rates: dict[str, float]) -> None:
    print(f"\nconsumer ({count} events of 1 KB, quorum queue, prefetch 200; median of {rounds} rounds)")
    baseline = rates[RAW]
    for name, rate in rates.items():
        ratio = "" if name == RAW else f"  {rate / baseline:.2f}x the baseline"
        print(f"  {name:<42} {rate:>9.0f} events/s{ratio}")


@dataclass(frozen=True)
class BenchBus:
    url: str
    """The database, for SQLAlchemy (asyncpg driver)."""
    listen_dsn: str
    """The same database in asyncpg's own form, for the relay's LISTEN connection."""
    sessions: SessionFactory
    bus: Bus


@asynccontextmanager
async def bench_bus(infra: Any, *, tls: bool = False) -> AsyncIterator[BenchBus]:
    """A database of its own with the messaging and recording tables, and an exchange of its own with the
    `contact` queue bound to `customer.*` (so every published event is routed and stored as in
    production); all removed afterwards. No TLS to the database unless asked (loopback)."""
    name = await create_database(infra.pg_admin_url, "bench")
    url = with_database(infra.pg_admin_url, name, driver="asyncpg") + ("" if tls else "?ssl=disable")
    listen_dsn = with_database(infra.pg_admin_url, name) + ("" if tls else "?sslmode=disable")
    engine = create_engine(url, pool_size=20)
    async with engine.begin() as connection:
        await connection.run_sync(messaging_metadata.create_all)
        await connection.run_sync(recording_metadata.create_all)
    topology = Topology(exchange=f"bench.{uuid.uuid4().hex[:8]}", queue_type="quorum")
    bus = Bus(infra.amqp_url, topology)
    try:
        async with (await bus.connection()).channel() as channel:
            await declare_service_queue(channel, topology, "contact", ("customer.*",))
        yield BenchBus(url, listen_dsn, create_session_factory(engine), bus)
    finally:
        async with (await bus.connection()).channel() as channel:
            await delete_topology(channel, topology, services=("contact",))
        await bus.close()
        await engine.dispose()
        await drop_database(infra.pg_admin_url, name)


async def main(count: int, rounds: int, only: str | None) -> None:
    with local_infrastructure() as infra:
        async with bench_bus(infra) as bench:
            sessions, bus, topology = bench.sessions, bench.bus, bench.bus.topology
            if only in (None, "relay"):
                naive = await time_relay(sessions, bench.listen_dsn, bus, count, batch_size=1)
                batched = await time_relay(sessions, bench.listen_dsn, bus, count, batch_size=200)
                report(
                    "outbox relay",
                    count,
                    naive,
                    batched,
                    "one event per transaction and confirm",
                    "batches of 200 in pipelined waves",
                )
                async with (await bus.connection()).channel() as channel:
                    queue = await channel.declare_queue(topology.queue_name("contact"), passive=True)
                    await queue.purge()
            if only in (None, "consumer"):
                report_consumer(
                    count, rounds, await measure_consumer(infra, sessions, topology, count, rounds)
                )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3, help="consumer rounds; the median is printed")
    parser.add_argument("--only", choices=("relay", "consumer"))
    arguments = parser.parse_args()
    asyncio.run(main(arguments.events, arguments.rounds, arguments.only))
