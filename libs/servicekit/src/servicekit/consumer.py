"""Consuming events: inbox, acknowledgement after commit, bounded retries with back-off, dead letters.

For each message: parse the envelope, then in one transaction claim it in the inbox and run the
handler; the message is acknowledged only after that transaction commits. A redelivery finds its
inbox row and does nothing. A handler that fails is retried through the retry queues with growing
delays; after ``max_attempts`` the message goes to the dead-letter queue with the error in its headers.
A message that cannot be parsed at all goes to the dead-letter queue at once. The queue keeps flowing
either way. Acknowledgements are batched (``multiple=True``) for throughput.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

import aio_pika
from aio_pika.abc import AbstractChannel, AbstractIncomingMessage
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from contracts import Actor, EventEnvelope, RawEnvelope
from contracts.routing import EVENT_TYPES
from servicekit import inbox
from servicekit.bus import Bus, declare_retry_queues, declare_service_queue, is_alive
from servicekit.context import correlation_id_var
from servicekit.metrics import EVENTS_CONSUMED
from servicekit.reconnect import keep_running
from servicekit.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)

EventHandler = Callable[[EventEnvelope[Any], UnitOfWork], Awaitable[None]]
"""A handler applies one event inside the given unit of work; it must not commit."""

ATTEMPT_HEADER = "x-attempt"
ERROR_HEADER = "x-last-error"

_FLUSH_AFTER_IDLE_S = 0.05


class EventConsumer:
    """Applies the events of one service's queue with its handlers.

    `patterns` are the queue's bindings. A service never chooses them: `app.build_runtime` passes its
    entry in `contracts.routing.SUBSCRIPTIONS`, checked against the handlers; tests may bind their own.
    """

    def __init__(
        self,
        *,
        service_name: str,
        handlers: Mapping[str, EventHandler],
        patterns: Sequence[str],
        session_factory: async_sessionmaker[AsyncSession],
        bus: Bus,
        prefetch: int = 64,
        ack_batch: int = 32,
    ) -> None:
        if ack_batch > prefetch:
            raise ValueError("ack_batch must not exceed prefetch, or the broker stops delivering")
        self.service_name = service_name
        self.handlers = dict(handlers)
        self.patterns = tuple(patterns)
        self.session_factory = session_factory
        self.bus = bus
        self.topology = bus.topology
        self.prefetch = prefetch
        self.ack_batch = ack_batch
        self.actor = Actor(kind="service", id=service_name, name=f"{service_name} service")

    @property
    def queue_name(self) -> str:
        return self.topology.queue_name(self.service_name)

    @property
    def dead_letter_queue_name(self) -> str:
        return self.topology.dead_letter_queue_name(self.service_name)

    async def run(self) -> None:
        """Consume until cancelled, reconnecting whenever the broker goes away."""
        await keep_running(self._consume_until_disconnected, name=f"{self.service_name} consumer")

    async def _consume_until_disconnected(self) -> None:
        connection = await self.bus.connection()
        async with (
            connection.channel(publisher_confirms=False) as channel,
            connection.channel(publisher_confirms=True, on_return_raises=True) as forward_channel,
        ):
            await channel.set_qos(prefetch_count=self.prefetch)
            queue = await declare_service_queue(channel, self.topology, self.service_name, self.patterns)
            await declare_retry_queues(channel, self.topology, self.service_name)
            arrived: asyncio.Queue[AbstractIncomingMessage] = asyncio.Queue()
            await queue.consume(arrived.put)
            unacked: AbstractIncomingMessage | None = None
            unacked_count = 0
            try:
                while True:
                    try:
                        async with asyncio.timeout(_FLUSH_AFTER_IDLE_S if unacked else 1.0):
                            message = await arrived.get()
                    except TimeoutError:
                        if unacked is not None:
                            await unacked.ack(multiple=True)
                            unacked, unacked_count = None, 0
                        if channel.is_closed or forward_channel.is_closed or not is_alive(connection):
                            raise ConnectionError("connection to the broker lost") from None
                        continue
                    await self._process(message, forward_channel)
                    unacked, unacked_count = message, unacked_count + 1
                    if unacked_count >= self.ack_batch:
                        await message.ack(multiple=True)
                        unacked, unacked_count = None, 0
            finally:
                if unacked is not None and not channel.is_closed and is_alive(connection):
                    with contextlib.suppress(Exception):  # unacknowledged messages simply come back
                        await unacked.ack(multiple=True)

    async def _process(self, message: AbstractIncomingMessage, forward_channel: AbstractChannel) -> None:
        """Apply one message, or hand it to a retry queue or the dead-letter queue. Never raises for
        a bad message or a failing handler; raises only when the broker cannot take a forwarded copy
        (then the message stays unacknowledged and comes back)."""
        try:
            envelope = parse_envelope(message.body)
        except ValidationError as exc:
            log.error("unreadable message %s sent to the dead-letter queue: %s", message.message_id, exc)
            await self._forward(forward_channel, message, self.dead_letter_queue_name, str(exc), attempt=1)
            EVENTS_CONSUMED.labels(self.service_name, message.type or "unknown", "dead_letter").inc()
            return
        handler = self.handlers.get(envelope.type)
        if handler is None:
            # Bound by a wildcard, but nothing here needs this type.
            EVENTS_CONSUMED.labels(self.service_name, envelope.type, "ignored").inc()
            return
        token = correlation_id_var.set(envelope.correlation_id)
        try:
            outcome = await self._apply(envelope, handler)
        except Exception as exc:
            await self._retry_or_dead_letter(message, forward_channel, envelope, exc)
        else:
            EVENTS_CONSUMED.labels(self.service_name, envelope.type, outcome).inc()
        finally:
            correlation_id_var.reset(token)

    async def _apply(self, envelope: EventEnvelope[Any], handler: EventHandler) -> str:
        unit = UnitOfWork(
            self.session_factory,
            service_name=self.service_name,
            actor=self.actor,
            correlation_id=envelope.correlation_id,
            causation_id=str(envelope.id),
        )
        async with unit:
            if not await inbox.claim(unit.session, self.service_name, envelope):
                return "duplicate"
            await handler(envelope, unit)
            await unit.commit()
        return "applied"

    async def _retry_or_dead_letter(
        self,
        message: AbstractIncomingMessage,
        forward_channel: AbstractChannel,
        envelope: EventEnvelope[Any],
        error: Exception,
    ) -> None:
        attempt = int((message.headers or {}).get(ATTEMPT_HEADER, 1))  # type: ignore[arg-type]
        reason = f"{type(error).__name__}: {error}"
        if attempt < self.topology.max_attempts:
            log.warning("event %s (%s) failed on try %d: %s", envelope.id, envelope.type, attempt, reason)
            target = self.topology.retry_queue_name(self.service_name, attempt)
            await self._forward(forward_channel, message, target, reason, attempt=attempt + 1)
            EVENTS_CONSUMED.labels(self.service_name, envelope.type, "retry").inc()
        else:
            log.error(
                "event %s (%s) dead-lettered after %d tries: %s", envelope.id, envelope.type, attempt, reason
            )
            await self._forward(
                forward_channel, message, self.dead_letter_queue_name, reason, attempt=attempt
            )
            EVENTS_CONSUMED.labels(self.service_name, envelope.type, "dead_letter").inc()

    @staticmethod
    async def _forward(
        channel: AbstractChannel, message: AbstractIncomingMessage, queue_name: str, reason: str, attempt: int
    ) -> None:
        """Copy the message to a queue and wait for the broker's confirm (then the original may go)."""
        headers = {
            k: v for k, v in (message.headers or {}).items() if k not in ("x-death", "x-first-death-queue")
        }
        headers.update({ATTEMPT_HEADER: attempt, ERROR_HEADER: reason[:1000]})
        copy = aio_pika.Message(
            body=message.body,
            headers=headers,
            content_type=message.content_type,
            delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
            message_id=message.message_id,
            correlation_id=message.correlation_id,
            type=message.type,
        )
        await channel.default_exchange.publish(copy, routing_key=queue_name)


def parse_envelope(body: bytes) -> EventEnvelope[Any]:
    """The envelope with its payload parsed into the event type's model (a dict for unknown types)."""
    raw = RawEnvelope.model_validate_json(body)
    model = EVENT_TYPES.get(raw.type)
    if model is None:
        return raw
    return EventEnvelope[model].model_validate_json(body)  # type: ignore[valid-type]
