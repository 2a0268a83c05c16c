"""How much the outbox relay's batching and the consumer's prefetch and ack batching buy, measured.

Each measurement runs against the real PostgreSQL and RabbitMQ of the test set-up and is compared with
a naive baseline run in the same process on the same data:
- relay: one event per transaction, each publish awaiting its own confirm (batch size 1), against the
  relay's batches published in pipelined waves;
- consumer: one event per transaction and acknowledgement, against batches of up to 50 events in one
  transaction with one acknowledgement.
Prints events per second and the ratio; asserts nothing (these machines are noisy).

Run: `uv run python bench/bus_throughput.py [--events 2000]` after `scripts/test.sh` or `scripts/up.sh`
(it reads the same CRM_TEST_* variables as the tests, with the same local defaults).
"""

from __future__ import annotations

import argparse
import asyncio
import time
import uuid

import aio_pika
from sqlalchemy import func, insert, select

from contracts import Actor, EventEnvelope
from servicekit.bus import Bus, Topology, declare_service_queue, delete_topology
from servicekit.db import create_engine, create_session_factory
from servicekit.messaging_tables import messaging_metadata, outbox
from servicekit.relay import OutboxRelay
from servicekit.testing.consumers import (
    applied_events,
    recording_handler,
    recording_metadata,
    running_consumer,
)
from servicekit.testing.databases import create_database, drop_database, with_database
from servicekit.testing.infrastructure import local_infrastructure

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


async def time_consumer(
    infra, topology: Topology, sessions, count: int, prefetch: int, batch_size: int
) -> float:
    office_id = f"bench-{uuid.uuid4().hex[:8]}"
    connection = await aio_pika.connect(infra.amqp_url)
    async with connection:
        channel = await connection.channel(publisher_confirms=True)
        await declare_service_queue(channel, topology, "contact", ("customer.*",))
        exchange = await channel.get_exchange(topology.exchange)
        rows = envelopes(count, office_id)
        await asyncio.gather(
            *(
                exchange.publish(
                    aio_pika.Message(EventEnvelope[dict](**row["envelope"]).model_dump_json().encode()),
                    "customer.pinged",
                )
                for row in rows
            )
        )
    handlers = {"customer.pinged": recording_handler("contact")}
    started = time.perf_counter()
    async with running_consumer(
        amqp_url=infra.amqp_url,
        topology=topology,
        session_factory=sessions,
        handlers=handlers,
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


def report(
    title: str, count: int, baseline: float, measured: float, baseline_name: str, measured_name: str
) -> None:
    print(f"\n{title} ({count} events)")
    print(f"  {baseline_name:<42} {count / baseline:>9.0f} events/s")
    print(f"  {measured_name:<42} {count / measured:>9.0f} events/s")
    print(f"  ratio: {baseline / measured:.1f}x")


async def main(count: int) -> None:
    with local_infrastructure() as infra:
        name = await create_database(infra.pg_admin_url, "bench")
        url = with_database(infra.pg_admin_url, name, driver="asyncpg")
        engine = create_engine(url)
        async with engine.begin() as connection:
            await connection.run_sync(messaging_metadata.create_all)
            await connection.run_sync(recording_metadata.create_all)
        sessions = create_session_factory(engine)
        topology = Topology(exchange=f"bench.{uuid.uuid4().hex[:8]}", queue_type="quorum")
        bus = Bus(infra.amqp_url, topology)
        try:
            connection = await bus.connection()
            async with connection.channel() as channel:
                # One subscriber queue, so every published event is routed and stored as in production.
                await declare_service_queue(channel, topology, "contact", ("customer.*",))
            naive = await time_relay(sessions, url.replace("+asyncpg", ""), bus, count, batch_size=1)
            batched = await time_relay(sessions, url.replace("+asyncpg", ""), bus, count, batch_size=200)
            report(
                "outbox relay",
                count,
                naive,
                batched,
                "one event per transaction and confirm",
                "batches of 200 in pipelined waves",
            )

            async with connection.channel() as channel:
                queue = await channel.declare_queue(topology.queue_name("contact"), passive=True)
                await queue.purge()
            single = await time_consumer(infra, topology, sessions, count, prefetch=2, batch_size=1)
            tuned = await time_consumer(infra, topology, sessions, count, prefetch=200, batch_size=50)
            report(
                "consumer",
                count,
                single,
                tuned,
                "one event per transaction and ack",
                "batches of up to 50, prefetch 200",
            )
        finally:
            async with (await bus.connection()).channel() as channel:
                await delete_topology(channel, topology, services=("contact",))
            await bus.close()
            await engine.dispose()
            await drop_database(infra.pg_admin_url, name)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=2000)
    asyncio.run(main(parser.parse_args().events))
