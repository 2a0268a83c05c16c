"""Test messages on the bus: `customer.pinged` envelopes, publishing them as they are, reading a queue."""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

import aio_pika
from aio_pika.abc import AbstractIncomingMessage

from servicekit.bus import Topology, declare_topology
from servicekit.testing.consumers import eventually
from servicekit.testing.events import Pinged


def pinged(
    office_id: str,
    note: str = "",
    *,
    event_id: uuid.UUID | None = None,
    aggregate_id: uuid.UUID | None = None,
    version: int = 1,
) -> dict[str, Any]:
    """A `customer.pinged` envelope as it travels (a new aggregate unless one is given)."""
    return {
        "id": str(event_id or uuid.uuid4()),
        "type": Pinged.event_type,
        "schema_version": 1,
        "occurred_at": "2026-11-23T10:00:00Z",
        "office_id": office_id,
        "aggregate_id": str(aggregate_id or uuid.uuid4()),
        "aggregate_version": version,
        "correlation_id": "test",
        "causation_id": None,
        "actor": {"kind": "service", "id": "test"},
        "payload": {"note": note},
    }


async def publish(amqp_url: str, topology: Topology, *bodies: dict[str, Any] | bytes) -> None:
    """Publish envelopes (or raw bytes) to the test's exchange, in order, each confirmed; an envelope
    with its type as the routing key (raw bytes as `customer.pinged`)."""
    connection = await aio_pika.connect(amqp_url)
    async with connection:
        channel = await connection.channel()
        exchange = await declare_topology(channel, topology)
        for body in bodies:
            raw = body if isinstance(body, bytes) else json.dumps(body).encode()
            await exchange.publish(
                aio_pika.Message(raw, delivery_mode=aio_pika.DeliveryMode.PERSISTENT),
                routing_key=body["type"] if isinstance(body, dict) else Pinged.event_type,
            )


async def take_all(amqp_url: str, queue_name: str) -> list[AbstractIncomingMessage]:
    """Every message waiting in a queue, taken off it."""
    connection = await aio_pika.connect(amqp_url)
    async with connection:
        channel = await connection.channel()
        queue = await channel.declare_queue(queue_name, passive=True)
        messages = []
        while (message := await queue.get(fail=False, no_ack=True)) is not None:
            messages.append(message)
        return messages


async def queue_counts(amqp_url: str, queue_name: str) -> tuple[int, int]:
    """(messages ready in the queue, consumers on it)."""
    connection = await aio_pika.connect(amqp_url)
    async with connection:
        channel = await connection.channel()
        declared = (await channel.declare_queue(queue_name, passive=True)).declaration_result
        return declared.message_count or 0, declared.consumer_count or 0


async def wait_until_delivered(amqp_url: str, queue_name: str, within: float = 10.0) -> None:
    """Wait until nothing is ready in the queue (all of it delivered to its consumers), then a little
    longer, so the consumer process has read the deliveries off its socket."""

    async def nothing_ready() -> bool:
        return (await queue_counts(amqp_url, queue_name))[0] == 0

    await eventually(nothing_ready, within=within, every=0.02)
    await asyncio.sleep(0.3)
