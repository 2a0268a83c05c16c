"""The whole bus path, outbox → relay → broker → consumer commit, against raw confirmed publishing.

- `time_raw_publish`: aio-pika publishing the same 1 KB messages with publisher confirms, all in flight
  at once (the most a publisher can get from this broker): the baseline of the relay and the pipeline.
- `time_raw_publish_and_consume`: the same publishing while a raw aio-pika consumer in a process of its
  own takes the messages (acknowledged 50 at a time, nothing parsed, nothing written): what the two
  cores give a publisher and a consumer together, the ceiling of any pipeline here.
- `time_pipeline`: the relay (in this process) and a batched consumer writing a row per event (in a
  process of its own, as in production, where the publishing and the consuming service are different
  processes) running and idle; then `count` events committed to the outbox in one transaction; the time
  until the consumer has committed the last one.
- `sustain`: events committed to the outbox at a steady rate for a while, the relay and the consumer
  running; the outbox backlog and the queue depth sampled every second, to show they stay bounded.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import multiprocessing
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from multiprocessing.connection import Connection

import aio_pika
from bus_throughput import envelopes
from sqlalchemy import func, insert, select, text

from servicekit.bus import Bus, Topology
from servicekit.db import SessionFactory
from servicekit.messaging_tables import outbox
from servicekit.outbox import notify_channel
from servicekit.relay import OutboxRelay
from servicekit.testing.consumer_process import ConsumerProcessConfig, consumer_process
from servicekit.testing.consumers import applied_events, eventually
from servicekit.testing.infrastructure import Infrastructure
from servicekit.testing.messages import queue_counts

CONSUMER = "contact"


async def time_raw_publish(infra: Infrastructure, topology: Topology, count: int) -> float:
    """Seconds to publish `count` 1 KB persistent messages with confirms, all in flight at once."""
    elapsed = await _publish_confirmed(infra, topology, count)
    connection = await aio_pika.connect(infra.amqp_url)
    async with connection:
        channel = await connection.channel()
        await (await channel.get_queue(topology.queue_name(CONSUMER))).purge()
    return elapsed


async def time_raw_publish_and_consume(infra: Infrastructure, topology: Topology, count: int) -> float:
    """Seconds to move `count` 1 KB messages from the raw publisher of `time_raw_publish` to a raw
    aio-pika consumer in a process of its own, both at once: from the first publish to the consumer's
    last acknowledgement.

    Any pipeline publishes and consumes every event as these two do, and claims, marks and applies it
    in PostgreSQL besides, on the same two cores; so its rate is below this one, and this rate over
    confirmed publishing alone is the highest pipeline ratio this machine allows."""
    context = multiprocessing.get_context("spawn")
    ours, theirs = context.Pipe()
    consumer = context.Process(
        target=_consume_raw,
        args=(infra.amqp_url, topology.queue_name(CONSUMER), count, theirs),
        daemon=True,
    )
    consumer.start()
    loop = asyncio.get_running_loop()
    try:
        if await loop.run_in_executor(None, ours.recv) != "consuming":
            raise RuntimeError("the raw consumer did not start")
        return await _publish_confirmed(
            infra, topology, count, until=lambda: loop.run_in_executor(None, ours.recv)
        )
    finally:
        consumer.join(timeout=10)
        if consumer.is_alive():
            consumer.kill()


async def _publish_confirmed(
    infra: Infrastructure,
    topology: Topology,
    count: int,
    until: Callable[[], Awaitable[object]] | None = None,
) -> float:
    """Seconds from the first publish of `count` 1 KB persistent messages (all in flight at once,
    each confirmed) to the last confirm, or to the end of `until` after it."""
    bodies = [
        aio_pika.Message(json.dumps(row["envelope"]).encode(), delivery_mode=aio_pika.DeliveryMode.PERSISTENT)
        for row in envelopes(count, "raw")
    ]
    connection = await aio_pika.connect(infra.amqp_url)
    async with connection:
        channel = await connection.channel(publisher_confirms=True)
        exchange = await channel.get_exchange(topology.exchange)
        started = time.perf_counter()
        await asyncio.gather(*(exchange.publish(body, "customer.pinged") for body in bodies))
        if until is not None:
            await until()
        return time.perf_counter() - started


def _consume_raw(amqp_url: str, queue_name: str, count: int, report: Connection) -> None:
    asyncio.run(_consume_raw_until(amqp_url, queue_name, count, report))


async def _consume_raw_until(amqp_url: str, queue_name: str, count: int, report: Connection) -> None:
    """Take `count` messages off the queue, the kit consumer's way without its work: whatever has
    arrived, up to 50, acknowledged with one `multiple` acknowledgement."""
    connection = await aio_pika.connect(amqp_url)
    async with connection:
        channel = await connection.channel()
        await channel.set_qos(prefetch_count=200)
        queue = await channel.get_queue(queue_name)
        arrived: asyncio.Queue[aio_pika.abc.AbstractIncomingMessage] = asyncio.Queue()
        await queue.consume(arrived.put)
        report.send("consuming")
        taken = 0
        while taken < count:
            batch = [await arrived.get()]
            while len(batch) < 50 and not arrived.empty():
                batch.append(arrived.get_nowait())
            await batch[-1].ack(multiple=True)
            taken += len(batch)
        report.send("done")


async def _fill_outbox(sessions: SessionFactory, count: int, office_id: str, *, notify: bool = False) -> None:
    """Commit `count` events to the outbox in one transaction; with `notify`, wake the relay at the
    commit as a service's unit of work does (otherwise it finds them at its next poll)."""
    async with sessions() as session, session.begin():
        await session.execute(insert(outbox), envelopes(count, office_id))
        if notify:
            await session.execute(
                text("SELECT pg_notify(:channel, '')"), {"channel": notify_channel("bench")}
            )


async def _applied(sessions: SessionFactory, office_id: str) -> int:
    async with sessions() as session:
        query = (
            select(func.count()).select_from(applied_events).where(applied_events.c.office_id == office_id)
        )
        return int((await session.execute(query)).scalar_one())


def _relay(sessions: SessionFactory, listen_dsn: str, bus: Bus) -> OutboxRelay:
    return OutboxRelay(
        service_name="bench", session_factory=sessions, listen_dsn=listen_dsn, bus=bus, poll_interval_s=0.2
    )


def _consumer(infra: Infrastructure, database_url: str, bus: Bus) -> ConsumerProcessConfig:
    return ConsumerProcessConfig(amqp_url=infra.amqp_url, database_url=database_url, topology=bus.topology)


async def time_pipeline(
    infra: Infrastructure, sessions: SessionFactory, database_url: str, listen_dsn: str, bus: Bus, count: int
) -> float:
    """Seconds from the commit of `count` events to the outbox (the relay and the consumer already
    running and idle) to the consumer's commit of the last one.

    Both are started and waited for first: the consumer process takes a second or two to import and
    attach to its queue, and timed from its start that showed as a slow pipeline (925 events/s)."""
    office_id = f"pipeline-{uuid.uuid4().hex[:8]}"
    relay = _relay(sessions, listen_dsn, bus)
    relaying = asyncio.create_task(relay.run())
    try:
        async with consumer_process(_consumer(infra, database_url, bus)):

            async def both_ready() -> bool:
                consumers = (await queue_counts(infra.amqp_url, bus.topology.queue_name(CONSUMER)))[1]
                return relay.is_leader and consumers > 0

            await eventually(both_ready, within=30)
            await asyncio.sleep(0.5)  # the relay's broker channel, opened right after it leads
            started = time.perf_counter()
            await _fill_outbox(sessions, count, office_id, notify=True)
            while await _applied(sessions, office_id) < count:  # noqa: ASYNC110 - polling is the measurement
                await asyncio.sleep(0.02)
            return time.perf_counter() - started
    finally:
        relaying.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await relaying


@dataclass
class Sustained:
    rate: int
    seconds: int
    committed: int = 0
    applied: int = 0
    backlog: list[int] = field(default_factory=list)
    queue_depth: list[int] = field(default_factory=list)
    drained_after_s: float = 0.0

    @property
    def bounded(self) -> bool:
        """Neither backlog nor queue grew over the run: the second half's peak is no higher than the
        first half's (plus one second's worth of events, the sampling's own jitter)."""
        half = len(self.backlog) // 2
        slack = self.rate
        return all(
            max(samples[half:], default=0) <= max(samples[:half], default=0) + slack
            for samples in (self.backlog, self.queue_depth)
        )


async def sustain(
    infra: Infrastructure,
    sessions: SessionFactory,
    database_url: str,
    listen_dsn: str,
    bus: Bus,
    rate: int,
    seconds: int,
) -> Sustained:
    """Commit `rate` events a second to the outbox for `seconds` (one transaction every 100 ms), with
    the relay and the consumer running; sample the backlog and the queue depth once a second."""
    office_id = f"sustained-{uuid.uuid4().hex[:8]}"
    result = Sustained(rate=rate, seconds=seconds)
    relay = _relay(sessions, listen_dsn, bus)
    relaying = asyncio.create_task(relay.run())

    async def produce() -> None:
        tick, per_tick = 0.1, max(1, rate // 10)
        started = time.perf_counter()
        while (elapsed := time.perf_counter() - started) < seconds:
            await _fill_outbox(sessions, per_tick, office_id)
            result.committed += per_tick
            await asyncio.sleep(max(0.0, result.committed / rate - elapsed - tick / 2))

    async def sample() -> None:
        connection = await bus.connection()
        while True:
            await asyncio.sleep(1.0)
            async with sessions() as session:
                backlog = await session.execute(
                    select(func.count()).select_from(outbox).where(outbox.c.published_at.is_(None))
                )
                result.backlog.append(int(backlog.scalar_one()))
            async with connection.channel() as channel:
                queue = await channel.declare_queue(bus.topology.queue_name(CONSUMER), passive=True)
                result.queue_depth.append(queue.declaration_result.message_count or 0)

    try:
        async with consumer_process(_consumer(infra, database_url, bus)):
            sampling = asyncio.create_task(sample())
            await produce()
            sampling.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await sampling
            drain_started = time.perf_counter()
            while (applied := await _applied(sessions, office_id)) < result.committed:  # noqa: ASYNC110
                await asyncio.sleep(0.05)
            result.applied = applied
            result.drained_after_s = time.perf_counter() - drain_started
    finally:
        relaying.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await relaying
    return result
