"""The batched consumer through failures, against real PostgreSQL and RabbitMQ: a consumer process killed
with a batch open, and the broker restarted while events keep coming. Nothing is lost and nothing is
applied twice."""

from __future__ import annotations

import asyncio
import dataclasses
import json

import aio_pika
import pytest

from servicekit.bus import declare_topology
from servicekit.testing.consumer_process import ConsumerProcessConfig, consumer_process
from servicekit.testing.consumers import eventually, recorded, recording_handler, running_consumer
from servicekit.testing.events import Pinged
from servicekit.testing.messages import pinged, publish


async def rows_with(sessions, office_id: str, count: int):
    rows = await recorded(sessions, office_id)
    return rows if len(rows) >= count else None


async def test_a_consumer_killed_with_a_batch_open_loses_nothing_and_applies_nothing_twice(
    infra, topology, consumer_database, consumer_sessions, office_id
):
    events = [pinged(office_id, f"n{n}") for n in range(150)]
    stalled = events[80]
    stalled["payload"]["note"] = "stall"
    config = ConsumerProcessConfig(
        amqp_url=infra.amqp_url,
        database_url=consumer_database,
        topology=topology,
        batch_size=50,
        prefetch=200,
        stall_on="stall",
        delay_s=0.002,
    )
    async with consumer_process(config) as child:
        await publish(infra.amqp_url, topology, *events)
        assert child.stdout is not None
        line = await asyncio.wait_for(child.stdout.readline(), 30)
        assert line.decode().split() == ["stalled", stalled["id"]]
        child.kill()  # SIGKILL: no rollback, no goodbye to the broker
        await child.wait()
    before_restart = await recorded(consumer_sessions, office_id)
    # Whole batches committed before the stalled one; the events the stalled batch had already
    # handled (at least one, since batches are at most 50 and it reached the 81st event) vanished
    # with its transaction.
    assert 0 < len(before_restart) < 80
    assert [str(row.event_id) for row in before_restart] == [e["id"] for e in events[: len(before_restart)]]

    async with running_consumer(
        amqp_url=infra.amqp_url,
        topology=topology,
        session_factory=consumer_sessions,
        handlers={Pinged.event_type: recording_handler("contact")},
    ):
        await eventually(lambda: rows_with(consumer_sessions, office_id, len(events)), within=30)
        await asyncio.sleep(0.5)
    rows = await recorded(consumer_sessions, office_id)
    assert sorted(str(row.event_id) for row in rows) == sorted(e["id"] for e in events)  # each once


@pytest.mark.parametrize("queue_type", ["quorum", "classic"])
async def test_every_event_confirmed_while_the_broker_restarts_is_applied_exactly_once(
    infra, topology, consumer_sessions, office_id, queue_type
):
    topology = dataclasses.replace(topology, queue_type=queue_type)
    confirmed: list[str] = []
    stop = asyncio.Event()

    async def publish_steadily() -> None:
        """One event every few milliseconds, each confirmed; an event whose publish failed is sent
        again (so the broker may get it twice) until it is confirmed."""
        unconfirmed: dict | None = None
        while not stop.is_set() or unconfirmed is not None:
            try:
                connection = await aio_pika.connect(infra.amqp_url, timeout=5)
                async with connection:
                    channel = await connection.channel()
                    exchange = await declare_topology(channel, topology)
                    while not stop.is_set() or unconfirmed is not None:
                        unconfirmed = unconfirmed or pinged(office_id, f"n{len(confirmed)}")
                        message = aio_pika.Message(
                            json.dumps(unconfirmed).encode(), delivery_mode=aio_pika.DeliveryMode.PERSISTENT
                        )
                        await exchange.publish(message, routing_key=Pinged.event_type, timeout=5)
                        confirmed.append(unconfirmed["id"])
                        unconfirmed = None
                        await asyncio.sleep(0.005)
            except Exception:
                await asyncio.sleep(0.2)

    async def confirmed_at_least(count: int) -> bool:
        return len(confirmed) >= count

    async with running_consumer(
        amqp_url=infra.amqp_url,
        topology=topology,
        session_factory=consumer_sessions,
        handlers={Pinged.event_type: recording_handler("contact")},
    ):
        publisher = asyncio.create_task(publish_steadily())
        try:
            await eventually(lambda: confirmed_at_least(100), within=30)
            await eventually(lambda: rows_with(consumer_sessions, office_id, 50), within=30)
            await asyncio.to_thread(infra.stop_broker)
            await asyncio.to_thread(infra.start_broker)
            after_restart = len(confirmed) + 100
            await eventually(lambda: confirmed_at_least(after_restart), within=60)
        finally:
            stop.set()
            async with asyncio.timeout(30):
                await publisher
        rows = await eventually(lambda: rows_with(consumer_sessions, office_id, len(confirmed)), within=60)
        await asyncio.sleep(0.5)
    rows = await recorded(consumer_sessions, office_id)

    assert len(confirmed) >= 200
    assert sorted(str(row.event_id) for row in rows) == sorted(confirmed)  # each exactly once
