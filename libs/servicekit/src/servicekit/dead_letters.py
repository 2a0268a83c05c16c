"""Looking at, replaying and purging a consuming service's dead-letter queue (`crm dlq`).

A message reaches `<exchange>.<service>.dlq` in one of two ways: the consumer forwards it after its last
try (`servicekit.consumer`: the `x-attempt` and `x-last-error` headers say how often and why), or the
broker dead-letters a message the consumer rejected outright (the broker's `x-death` header says why).

Reading without removing (`peek`) takes messages unacknowledged and lets the channel's close give them
back, in their order. A quorum queue with a delivery limit (RabbitMQ 4.0 to 4.2 count such returns)
would spend one delivery per look; a look is an operator's action, far below any such limit.

Replaying copies a message to the service's own queue (through the default exchange, so only that
service gets it again, never the other subscribers), waits for the broker's confirm, and only then
acknowledges it in the dead-letter queue: a crash in between leaves a copy in both, and the consumer's
inbox applies the event once whichever arrives. The copy starts again at try 1, so it gets every retry.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from typing import Any

import aio_pika
from aio_pika.abc import AbstractChannel, AbstractConnection, AbstractIncomingMessage

from servicekit.bus import Topology
from servicekit.consumer import ATTEMPT_HEADER, ERROR_HEADER

REPLAYED_HEADER = "x-replayed-from-dlq"
"""Set on a replayed copy: how many times it was replayed (the previous error stays in `x-last-error`)."""


@dataclass(frozen=True)
class DeadLetter:
    """One message of a dead-letter queue, as far as it could be read."""

    event_id: str | None
    event_type: str | None
    office_id: str | None
    attempts: int | None
    reason: str
    body: bytes
    headers: dict[str, Any] = field(default_factory=dict)

    @property
    def envelope(self) -> dict[str, Any] | None:
        """The event as JSON, or None when the body is not readable JSON."""
        try:
            value = json.loads(self.body)
        except ValueError:
            return None
        return value if isinstance(value, dict) else None


def read_dead_letter(message: AbstractIncomingMessage) -> DeadLetter:
    headers = dict(message.headers or {})
    envelope: dict[str, Any] = {}
    try:
        parsed = json.loads(message.body)
        envelope = parsed if isinstance(parsed, dict) else {}
    except ValueError:
        pass
    attempts = headers.get(ATTEMPT_HEADER)
    return DeadLetter(
        event_id=_text(envelope.get("id")) or message.message_id,
        event_type=_text(envelope.get("type")) or message.type,
        office_id=_text(envelope.get("office_id")),
        attempts=attempts if isinstance(attempts, int) else None,
        reason=_reason(headers),
        body=message.body,
        headers=headers,
    )


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _reason(headers: dict[str, Any]) -> str:
    error = headers.get(ERROR_HEADER)
    if isinstance(error, bytes):
        error = error.decode("utf-8", "replace")
    if isinstance(error, str) and error:
        return error
    # Dead-lettered by the broker itself (rejected by the consumer, expired): its x-death says why.
    deaths = headers.get("x-death")
    if isinstance(deaths, list) and deaths and isinstance(deaths[0], dict):
        death = deaths[0]
        reason = death.get("reason")
        queue = death.get("queue")
        return f"{_decoded(reason)} by the broker in {_decoded(queue)}"
    return "unknown"


def _decoded(value: object) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


async def dead_letter_count(channel: AbstractChannel, topology: Topology, service: str) -> int:
    """Messages in the service's dead-letter queue (declared passively: a queue that does not exist
    raises, and closes the channel, as aio-pika does)."""
    queue = await channel.declare_queue(topology.dead_letter_queue_name(service), passive=True)
    return queue.declaration_result.message_count or 0


async def peek(
    connection: AbstractConnection, topology: Topology, service: str, limit: int
) -> list[DeadLetter]:
    """The first `limit` dead letters, left in the queue in their order."""
    async with connection.channel() as channel:
        queue = await channel.declare_queue(topology.dead_letter_queue_name(service), passive=True)
        found: list[DeadLetter] = []
        while len(found) < limit:
            message = await queue.get(no_ack=False, fail=False)
            if message is None:
                break
            found.append(read_dead_letter(message))
        # Closing the channel returns every unacknowledged message to the queue.
    return found


Selector = Callable[[DeadLetter], bool]


def with_ids(event_ids: Collection[str] | None) -> Selector:
    """Every dead letter, or those whose event id is one of `event_ids`."""
    wanted = {str(i) for i in event_ids} if event_ids else None
    return lambda letter: wanted is None or letter.event_id in wanted


async def replay(
    connection: AbstractConnection, topology: Topology, service: str, select: Selector = with_ids(None)
) -> list[DeadLetter]:
    """Move the selected dead letters back onto the service's queue; those it moved."""

    async def send_back(channel: AbstractChannel, message: AbstractIncomingMessage) -> None:
        headers = {k: v for k, v in (message.headers or {}).items() if k not in ("x-death", ATTEMPT_HEADER)}
        replays = headers.get(REPLAYED_HEADER)
        headers[REPLAYED_HEADER] = (replays if isinstance(replays, int) else 0) + 1
        copy = aio_pika.Message(
            body=message.body,
            headers=headers,
            content_type=message.content_type,
            delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
            message_id=message.message_id,
            correlation_id=message.correlation_id,
            type=message.type,
        )
        await channel.default_exchange.publish(copy, routing_key=topology.queue_name(service))

    return await _take(connection, topology, service, select, send_back)


async def purge(
    connection: AbstractConnection, topology: Topology, service: str, select: Selector = with_ids(None)
) -> list[DeadLetter]:
    """Delete the selected dead letters for good; those it deleted."""

    async def drop(_: AbstractChannel, __: AbstractIncomingMessage) -> None:
        return None

    return await _take(connection, topology, service, select, drop)


async def _take(
    connection: AbstractConnection,
    topology: Topology,
    service: str,
    select: Selector,
    act: Callable[[AbstractChannel, AbstractIncomingMessage], Any],
) -> list[DeadLetter]:
    """Go through the messages that are in the queue now (not those arriving meanwhile), act on the
    selected ones and acknowledge each after its action; the others go back when the channel closes."""
    taken: list[DeadLetter] = []
    async with connection.channel(publisher_confirms=True, on_return_raises=True) as channel:
        queue = await channel.declare_queue(topology.dead_letter_queue_name(service), passive=True)
        for _ in range(queue.declaration_result.message_count or 0):
            message = await queue.get(no_ack=False, fail=False)
            if message is None:
                break
            letter = read_dead_letter(message)
            if not select(letter):
                continue
            await act(channel, message)
            await message.ack()
            taken.append(letter)
    return taken
