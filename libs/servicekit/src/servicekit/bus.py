"""The connection to RabbitMQ and the declaration of the bus topology.

Topology, after SPEC §1: one topic exchange for domain events (routing key = event type); each consuming
service owns a durable queue bound to the keys it needs (quorum by default, classic v2 by a setting),
a dead-letter queue beside it, and one retry queue per back-off step. A retry queue holds a failed
message for its step's delay (queue TTL) and then dead-letters it back into the service's queue.
Every name derives from the exchange name, so a test with its own exchange has its own queues too.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import aio_pika
from aio_pika.abc import AbstractChannel, AbstractConnection, AbstractExchange, AbstractQueue

from contracts.routing import SUBSCRIPTIONS

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Topology:
    exchange: str
    queue_type: Literal["quorum", "classic"] = "quorum"
    retry_delays_ms: tuple[int, ...] = (1_000, 5_000, 30_000, 120_000)
    max_attempts: int = 5

    def queue_name(self, service: str) -> str:
        return f"{self.exchange}.{service}"

    def dead_letter_queue_name(self, service: str) -> str:
        return f"{self.queue_name(service)}.dlq"

    def retry_queue_name(self, service: str, failed_attempt: int) -> str:
        return f"{self.queue_name(service)}.retry.{failed_attempt}"

    def retry_delay_ms(self, failed_attempt: int) -> int:
        return self.retry_delays_ms[min(failed_attempt, len(self.retry_delays_ms)) - 1]

    def _durable_queue_arguments(self) -> dict[str, Any]:
        if self.queue_type == "quorum":
            return {"x-queue-type": "quorum"}
        return {"x-queue-type": "classic", "x-queue-version": 2}


async def declare_exchange(channel: AbstractChannel, topology: Topology) -> AbstractExchange:
    return await channel.declare_exchange(topology.exchange, aio_pika.ExchangeType.TOPIC, durable=True)


async def declare_service_queue(
    channel: AbstractChannel, topology: Topology, service: str, patterns: Sequence[str]
) -> AbstractQueue:
    """Declare a consuming service's queue, its dead-letter queue and its bindings (idempotent)."""
    exchange = await declare_exchange(channel, topology)
    await channel.declare_queue(
        topology.dead_letter_queue_name(service), durable=True, arguments=topology._durable_queue_arguments()
    )
    queue = await channel.declare_queue(
        topology.queue_name(service),
        durable=True,
        arguments={
            **topology._durable_queue_arguments(),
            # A message the consumer rejects outright still ends in the dead-letter queue, never dropped.
            "x-dead-letter-exchange": "",
            "x-dead-letter-routing-key": topology.dead_letter_queue_name(service),
        },
    )
    for pattern in patterns:
        await queue.bind(exchange, routing_key=pattern)
    return queue


async def declare_retry_queues(channel: AbstractChannel, topology: Topology, service: str) -> None:
    # Classic queues with a fixed TTL each: with one delay per queue no message waits behind a longer one.
    for failed_attempt in range(1, topology.max_attempts):
        await channel.declare_queue(
            topology.retry_queue_name(service, failed_attempt),
            durable=True,
            arguments={
                "x-queue-type": "classic",
                "x-message-ttl": topology.retry_delay_ms(failed_attempt),
                "x-dead-letter-exchange": "",
                "x-dead-letter-routing-key": topology.queue_name(service),
            },
        )


async def declare_topology(
    channel: AbstractChannel,
    topology: Topology,
    subscriptions: Mapping[str, Sequence[str]] = SUBSCRIPTIONS,
) -> AbstractExchange:
    """Declare the exchange and every subscriber's queue, so no published event is unroutable
    merely because its consumer has not started yet."""
    exchange = await declare_exchange(channel, topology)
    for service, patterns in subscriptions.items():
        await declare_service_queue(channel, topology, service, patterns)
    return exchange


async def delete_topology(
    channel: AbstractChannel, topology: Topology, services: Sequence[str] = tuple(SUBSCRIPTIONS)
) -> None:
    """Remove the exchange and the queues of the given services (tests clean up with it)."""
    for service in services:
        names = [topology.queue_name(service), topology.dead_letter_queue_name(service)]
        names += [topology.retry_queue_name(service, n) for n in range(1, topology.max_attempts)]
        for name in names:
            await channel.queue_delete(name)
    await channel.exchange_delete(topology.exchange)


def is_alive(connection: AbstractConnection) -> bool:
    # `is_closed` only turns true on our own close(); a connection the broker closed (restart,
    # CONNECTION_FORCED) shows as no longer `connected`.
    connected = getattr(connection, "connected", None)
    return not connection.is_closed and (connected is None or connected.is_set())


class Bus:
    """One AMQP connection per process, shared by the relay, the consumers and the health check.

    Reconnection is explicit: whoever finds the connection closed asks for it again.
    """

    def __init__(self, amqp_url: str, topology: Topology) -> None:
        self.amqp_url = amqp_url
        self.topology = topology
        self._connection: AbstractConnection | None = None
        self._lock = asyncio.Lock()

    @property
    def is_connected(self) -> bool:
        return self._connection is not None and is_alive(self._connection)

    async def connection(self) -> AbstractConnection:
        async with self._lock:
            if self._connection is not None and not is_alive(self._connection):
                with contextlib.suppress(Exception):
                    await self._connection.close()
                self._connection = None
            if self._connection is None:
                self._connection = await aio_pika.connect(self.amqp_url, timeout=5)
                log.info("connected to the broker")
            return self._connection

    async def queue_depth(self, queue_name: str) -> int | None:
        """Messages ready in a queue, or None when it does not exist or the broker is unreachable."""
        try:
            connection = await self.connection()
            async with connection.channel() as channel:
                queue = await channel.declare_queue(queue_name, passive=True)
                return queue.declaration_result.message_count
        except Exception:
            return None

    async def close(self) -> None:
        async with self._lock:
            if self._connection is not None and not self._connection.is_closed:
                # A broker that stopped answering must not hold up a shutdown.
                with contextlib.suppress(Exception):
                    async with asyncio.timeout(5):
                        await self._connection.close()
            self._connection = None
