"""The event consumer against real PostgreSQL and RabbitMQ: inbox, retries, dead letters."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import uuid

import aio_pika
import pytest
from prometheus_client import REGISTRY

from servicekit.bus import declare_topology
from servicekit.testing.consumers import eventually, recorded, recording_handler, running_consumer
from servicekit.testing.events import Pinged


def envelope(office_id: str, note: str = "", event_id: uuid.UUID | None = None) -> dict:
    return {
        "id": str(event_id or uuid.uuid4()),
        "type": Pinged.event_type,
        "schema_version": 1,
        "occurred_at": "2026-11-23T10:00:00Z",
        "office_id": office_id,
        "aggregate_id": str(uuid.uuid4()),
        "aggregate_version": 1,
        "correlation_id": "test",
        "causation_id": None,
        "actor": {"kind": "service", "id": "test"},
        "payload": {"note": note},
    }


async def publish(infra, topology, *bodies: dict | bytes) -> None:
    connection = await aio_pika.connect(infra.amqp_url)
    async with connection:
        channel = await connection.channel()
        exchange = await declare_topology(channel, topology)
        for body in bodies:
            raw = body if isinstance(body, bytes) else json.dumps(body).encode()
            await exchange.publish(aio_pika.Message(raw), routing_key=Pinged.event_type)


async def dead_letters(
    infra, topology, service: str = "contact"
) -> list[aio_pika.abc.AbstractIncomingMessage]:
    connection = await aio_pika.connect(infra.amqp_url)
    async with connection:
        channel = await connection.channel()
        queue = await channel.declare_queue(topology.dead_letter_queue_name(service), passive=True)
        messages = []
        while (message := await queue.get(fail=False, no_ack=True)) is not None:
            messages.append(message)
        return messages


async def test_a_duplicate_delivery_is_applied_once(infra, topology, consumer_sessions, office_id):
    event = envelope(office_id, "twice")
    marker = envelope(office_id, "marker")
    handlers = {Pinged.event_type: recording_handler("contact")}
    async with running_consumer(
        amqp_url=infra.amqp_url, topology=topology, session_factory=consumer_sessions, handlers=handlers
    ):
        await publish(infra, topology, event, event, marker)
        # The queue is handled in order, so once the marker is applied both copies have been seen.
        rows = await eventually(lambda: _rows_with(consumer_sessions, office_id, 2))
    assert [str(r.event_id) for r in rows] == [event["id"], marker["id"]]


@pytest.mark.parametrize("queue_type", ["quorum", "classic"])
async def test_a_poison_message_is_dead_lettered_after_the_configured_tries_and_the_queue_flows(
    infra, topology, consumer_sessions, office_id, queue_type
):
    topology = dataclasses.replace(topology, queue_type=queue_type)
    poison, healthy = envelope(office_id, "poison"), envelope(office_id, "healthy")
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
        await publish(infra, topology, poison, healthy)
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
    event = envelope(office_id, "flaky")
    handlers = {Pinged.event_type: recording_handler("contact", fail_first=2)}
    async with running_consumer(
        amqp_url=infra.amqp_url, topology=topology, session_factory=consumer_sessions, handlers=handlers
    ):
        await publish(infra, topology, event)
        rows = await eventually(lambda: _rows_with(consumer_sessions, office_id, 1), within=15)
    assert [str(r.event_id) for r in rows] == [event["id"]]
    assert await dead_letters(infra, topology) == []


async def test_an_unreadable_message_goes_straight_to_the_dead_letter_queue(
    infra, topology, consumer_sessions, office_id
):
    healthy = envelope(office_id, "healthy")
    handlers = {Pinged.event_type: recording_handler("contact")}
    async with running_consumer(
        amqp_url=infra.amqp_url, topology=topology, session_factory=consumer_sessions, handlers=handlers
    ):
        await publish(infra, topology, b"{this is not an event", healthy)
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
    events = [envelope(office_id, f"n{i}") for i in range(200)]
    record = recording_handler("contact")
    died = asyncio.Event()

    async def handler(env, uow):
        await record(env, uow)
        if env.payload["note"] == "n100" and not died.is_set():
            # The process "dies" right after this event's transaction: its connection goes away, and
            # with it the acknowledgements of the events handled since the last batched ack.
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
        await publish(infra, topology, *events)
        rows = await eventually(lambda: _rows_with(consumer_sessions, office_id, 200), within=30)
        await asyncio.sleep(0.5)
        rows = await recorded(consumer_sessions, office_id)
    assert died.is_set()
    assert sorted(str(r.event_id) for r in rows) == sorted(e["id"] for e in events)  # each exactly once
    assert _duplicates_seen() > duplicates_before  # unacknowledged events did come back, and were skipped


@pytest.mark.parametrize("queue_type", ["quorum", "classic"])
async def test_a_consumer_keeps_consuming_after_the_broker_restarts(
    infra, topology, consumer_sessions, office_id, queue_type
):
    topology = dataclasses.replace(topology, queue_type=queue_type)
    handlers = {Pinged.event_type: recording_handler("contact")}
    async with running_consumer(
        amqp_url=infra.amqp_url, topology=topology, session_factory=consumer_sessions, handlers=handlers
    ):
        await publish(infra, topology, envelope(office_id, "before"))
        await eventually(lambda: _rows_with(consumer_sessions, office_id, 1))
        infra.stop_broker()
        infra.start_broker()
        await publish(infra, topology, envelope(office_id, "after"))
        rows = await eventually(lambda: _rows_with(consumer_sessions, office_id, 2), within=30)
    assert len(rows) == 2


def _duplicates_seen() -> float:
    value = REGISTRY.get_sample_value(
        "events_consumed_total",
        {"service": "contact", "event_type": Pinged.event_type, "outcome": "duplicate"},
    )
    return value or 0.0
