"""The event consumer against real PostgreSQL and RabbitMQ: inbox, retries, dead letters."""

from __future__ import annotations

import asyncio
import dataclasses
import json

import aio_pika
import pytest
from prometheus_client import REGISTRY

from servicekit.testing.consumers import eventually, recorded, recording_handler, running_consumer
from servicekit.testing.events import Pinged
from servicekit.testing.messages import pinged, publish, take_all


async def dead_letters(infra, topology) -> list[aio_pika.abc.AbstractIncomingMessage]:
    return await take_all(infra.amqp_url, topology.dead_letter_queue_name("contact"))


async def test_a_duplicate_delivery_is_applied_once(infra, topology, consumer_sessions, office_id):
    event = pinged(office_id, "twice")
    marker = pinged(office_id, "marker")
    handlers = {Pinged.event_type: recording_handler("contact")}
    async with running_consumer(
        amqp_url=infra.amqp_url, topology=topology, session_factory=consumer_sessions, handlers=handlers
    ):
        await publish(infra.amqp_url, topology, event, event, marker)
        # The queue is handled in order, so once the marker is applied both copies have been seen.
        rows = await eventually(lambda: _rows_with(consumer_sessions, office_id, 2))
    assert [str(r.event_id) for r in rows] == [event["id"], marker["id"]]


@pytest.mark.parametrize("queue_type", ["quorum", "classic"])
async def test_a_poison_message_is_dead_lettered_after_the_configured_tries_and_the_queue_flows(
    infra, topology, consumer_sessions, office_id, queue_type
):
    topology = dataclasses.replace(topology, queue_type=queue_type)
    poison, healthy = pinged(office_id, "poison"), pinged(office_id, "healthy")
    failing = recording_handler("contact", always_fail=True)
    working = recording_handler("contact")

    async def handler(env, uow):
        await (failing if env.payload["note"] == "poison" else working)(env, uow)

    async with running_consumer(
        amqp_url=infra.amqp_url,
        topology=topology,
        session_factory=consumer_sessions,
        handlers={Pinged.event_type: handler},
    ):
        await publish(infra.amqp_url, topology, poison, healthy)
        rows = await eventually(lambda: _rows_with(consumer_sessions, office_id, 1))
        assert [str(r.event_id) for r in rows] == [healthy["id"]]
        [dead] = await eventually(lambda: dead_letters(infra, topology), within=15)

    assert json.loads(dead.body)["id"] == poison["id"]
    assert dead.headers["x-attempt"] == topology.max_attempts == 3
    assert "handler told to fail" in dead.headers["x-last-error"]
    # The failed tries rolled back: the poison event was never applied.
    assert [str(r.event_id) for r in await recorded(consumer_sessions, office_id)] == [healthy["id"]]


async def test_a_failure_that_passes_is_retried_and_applied_exactly_once(
    infra, topology, consumer_sessions, office_id
):
    event = pinged(office_id, "flaky")
    handlers = {Pinged.event_type: recording_handler("contact", fail_first=2)}
    async with running_consumer(
        amqp_url=infra.amqp_url, topology=topology, session_factory=consumer_sessions, handlers=handlers
    ):
        await publish(infra.amqp_url, topology, event)
        rows = await eventually(lambda: _rows_with(consumer_sessions, office_id, 1), within=15)
    assert [str(r.event_id) for r in rows] == [event["id"]]
    assert await dead_letters(infra, topology) == []


async def test_an_unreadable_message_goes_straight_to_the_dead_letter_queue(
    infra, topology, consumer_sessions, office_id
):
    healthy = pinged(office_id, "healthy")
    handlers = {Pinged.event_type: recording_handler("contact")}
    async with running_consumer(
        amqp_url=infra.amqp_url, topology=topology, session_factory=consumer_sessions, handlers=handlers
    ):
        await publish(infra.amqp_url, topology, b"{this is not an event", healthy)
        await eventually(lambda: _rows_with(consumer_sessions, office_id, 1))
        [dead] = await eventually(lambda: dead_letters(infra, topology))
    assert dead.body == b"{this is not an event"
    assert dead.headers["x-attempt"] == 1


async def _rows_with(sessions, office_id: str, count: int):
    rows = await recorded(sessions, office_id)
    return rows if len(rows) >= count else None


async def test_a_consumer_that_dies_mid_stream_loses_nothing_and_applies_nothing_twice(
    infra, topology, consumer_sessions, office_id
):
    events = [pinged(office_id, f"n{i}") for i in range(200)]
    record = recording_handler("contact")
    died = asyncio.Event()

    async def handler(env, uow):
        await record(env, uow)
        if env.payload["note"] == "n100" and not died.is_set():
            # The broker connection goes away while this event's batch is applied: the batch still
            # commits, but its acknowledgement never reaches the broker, so the whole batch comes back.
            died.set()
            connection = await consumer.bus.connection()
            asyncio.get_running_loop().call_soon(lambda: asyncio.ensure_future(connection.close()))

    async with running_consumer(
        amqp_url=infra.amqp_url,
        topology=topology,
        session_factory=consumer_sessions,
        handlers={Pinged.event_type: handler},
    ) as consumer:
        duplicates_before = _duplicates_seen()
        await publish(infra.amqp_url, topology, *events)
        rows = await eventually(lambda: _rows_with(consumer_sessions, office_id, 200), within=30)
        await asyncio.sleep(0.5)
        rows = await recorded(consumer_sessions, office_id)
    assert died.is_set()
    assert sorted(str(r.event_id) for r in rows) == sorted(e["id"] for e in events)  # each exactly once
    assert _duplicates_seen() > duplicates_before  # unacknowledged events did come back, and were skipped


def _duplicates_seen() -> float:
    value = REGISTRY.get_sample_value(
        "events_consumed_total",
        {"service": "contact", "event_type": Pinged.event_type, "outcome": "duplicate"},
    )
    return value or 0.0
