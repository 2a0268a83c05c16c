"""Watching the bus from a test: every event published to a test's exchange, as it arrives."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import aio_pika
from aio_pika.abc import AbstractConnection, AbstractIncomingMessage, AbstractQueue


class EventListener:
    """Binds an exclusive queue to `#` on the exchange and collects every message published there
    (only those of one office, when given one)."""

    def __init__(
        self,
        connection: AbstractConnection,
        exchange: str,
        office_id: str | None = None,
        patterns: tuple[str, ...] = ("#",),
    ) -> None:
        self.connection = connection
        self.patterns = patterns
        self.exchange = exchange
        self.office_id = office_id
        self.received: list[dict[str, Any]] = []
        self.messages: list[AbstractIncomingMessage] = []
        self._arrived = asyncio.Condition()
        self._queue: AbstractQueue | None = None

    async def start(self) -> EventListener:
        channel = await self.connection.channel()
        exchange = await channel.declare_exchange(self.exchange, aio_pika.ExchangeType.TOPIC, durable=True)
        self._queue = await channel.declare_queue(exclusive=True, auto_delete=True)
        for pattern in self.patterns:
            await self._queue.bind(exchange, routing_key=pattern)
        await self._queue.consume(self._on_message, no_ack=True)
        return self

    async def _on_message(self, message: AbstractIncomingMessage) -> None:
        try:
            event = json.loads(message.body)
        except ValueError:
            return  # not an event at all (a test's poison message)
        if not isinstance(event, dict) or (
            self.office_id is not None and event.get("office_id") != self.office_id
        ):
            return  # another test's event
        async with self._arrived:
            self.messages.append(message)
            self.received.append(event)
            self._arrived.notify_all()

    def of_type(self, event_type: str) -> list[dict[str, Any]]:
        return [event for event in self.received if event["type"] == event_type]

    async def wait_for(
        self, count: int = 1, event_type: str | None = None, within: float = 10.0
    ) -> list[dict[str, Any]]:
        """Wait until `count` events (of `event_type`, if given) have arrived; return them."""

        def matching() -> list[dict[str, Any]]:
            return self.of_type(event_type) if event_type else list(self.received)

        async with self._arrived:
            await asyncio.wait_for(self._arrived.wait_for(lambda: len(matching()) >= count), within)
        return matching()
