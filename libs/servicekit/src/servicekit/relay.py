"""The outbox relay: publishes committed outbox rows to the topic exchange, in order, at least once.

- Woken by LISTEN/NOTIFY when a transaction commits events; polls as a fallback (a missed notification,
  rows waiting for their back-off).
- One relay per service publishes at a time (a PostgreSQL advisory lock held by its listening
  connection); other replicas stand by and take over when that connection drops. A single publisher
  keeps events of one aggregate in commit order.
- Each batch is claimed with ``FOR UPDATE SKIP LOCKED``, published with pipelined publisher confirms, and
  marked published in the same transaction. An event some service subscribes to goes out with the
  mandatory flag: the publisher declared every subscriber's queue, so a return means a queue is
  missing, and a row the broker refuses (nack, or returned as unroutable) is kept with a back-off while
  later events of the same aggregate wait for it (within the batch, and in later batches through the
  claim query). An event nobody subscribes to yet (``contracts.routing.is_subscribed``) goes out
  without it: nothing is lost if no queue takes it, and kept back it would fill the outbox forever.
- If the broker goes away mid-batch, the rows not confirmed stay unpublished and go out after reconnect;
  a confirmed-but-unmarked row may go out twice, which the consumers' inbox absorbs.
"""

from __future__ import annotations

import asyncio
import logging
import zlib
from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import aio_pika
import asyncpg
from aio_pika.abc import AbstractExchange
from aio_pika.exceptions import DeliveryError
from sqlalchemy import Row, text, update

from contracts.routing import is_subscribed
from servicekit.bus import Bus, declare_topology
from servicekit.cancellation import wait_until_set
from servicekit.db import SessionFactory
from servicekit.messaging_tables import outbox
from servicekit.metrics import OUTBOX_FAILURES, OUTBOX_PUBLISHED
from servicekit.outbox import notify_channel
from servicekit.reconnect import keep_running

log = logging.getLogger(__name__)

_CLAIM_BATCH = text(
    # The batch's ids are chosen and locked first; only those rows are then read out. Read out in the
    # same step, every unpublished row's envelope was turned into text before the sort and the limit
    # (a 4,000-event backlog: 75 ms per batch of 200, most of it that; an import's 100,000: seconds).
    # `earlier.id + 0`: the earlier events are looked up by their aggregate, never by id. With the
    # outbox's statistics from when it was nearly empty (a burst before autovacuum's next analyse),
    # PostgreSQL looked them up through the id index instead, reading every earlier unpublished event
    # for each candidate: 1.5-4 s per claim at a backlog of 4,000, quadratic in the backlog.
    # `earlier.attempts > 0`: an event waits for its next attempt only after a refusal, which counts
    # one; said here, it lets PostgreSQL read the held-back events from their own small index
    # (`ix_outbox_refused`) instead of every unpublished event, which it read by bitmap or sequential
    # scan whether the statistics were fresh or stale: at a backlog of 70,000-100,000 events (an
    # import's), 39-50 ms per claim of 200 then, 2.8-3.5 ms now.
    """
    WITH claimed AS (
        SELECT o.id
        FROM outbox o
        WHERE o.published_at IS NULL
          AND o.next_attempt_at <= now()
          AND NOT EXISTS (
              SELECT 1 FROM outbox earlier
              WHERE earlier.aggregate_id = o.aggregate_id
                AND earlier.published_at IS NULL
                AND earlier.id + 0 < o.id
                AND earlier.attempts > 0
                AND earlier.next_attempt_at > now()
          )
        ORDER BY o.id
        LIMIT :batch_size
        FOR UPDATE SKIP LOCKED
    )
    SELECT o.id, o.event_id, o.event_type, o.aggregate_id, o.attempts,
           o.envelope::text AS body,
           o.envelope->>'correlation_id' AS correlation_id,
           o.envelope->>'office_id' AS office_id,
           (o.envelope->>'schema_version')::int AS schema_version
    FROM outbox o JOIN claimed ON claimed.id = o.id
    ORDER BY o.id
    """
)

_MARK_PUBLISHED = text("UPDATE outbox SET published_at = :now WHERE id = ANY(:ids)")
"""Built once, with the batch's ids as one array parameter. Built per batch as `id IN (...)`, its 200
bound values were constructed and compiled anew each time, and each batch size prepared a statement of
its own: 2.3 ms of CPU per batch of 200 against 0.75 ms now, begin and commit included."""

MAX_BACKOFF_SECONDS = 300
CONFIRM_TIMEOUT_S = 15
"""A publish the broker has not confirmed by then counts as lost: the relay reconnects and retries."""


def publish_backoff(attempts: int) -> timedelta:
    """How long a refused event waits before its next try: doubling, capped at five minutes."""
    return timedelta(seconds=min(2 ** max(attempts - 1, 0), MAX_BACKOFF_SECONDS))


def to_message(row: Row[Any]) -> aio_pika.Message:
    """The message of a claimed outbox row. The body is the stored envelope's JSON text as PostgreSQL
    gives it, never parsed and written again: the relay moves bytes, it does not read events."""
    return aio_pika.Message(
        body=row.body.encode(),
        content_type="application/json",
        delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
        # message_id = event id, so anything downstream can deduplicate without reading the body.
        message_id=str(row.event_id),
        type=row.event_type,
        correlation_id=row.correlation_id,
        headers={"schema_version": row.schema_version, "office_id": row.office_id},
    )


class OutboxRelay:
    def __init__(
        self,
        *,
        service_name: str,
        session_factory: SessionFactory,
        listen_dsn: str,
        bus: Bus,
        batch_size: int = 200,
        poll_interval_s: float = 2.0,
    ) -> None:
        self.service_name = service_name
        self.session_factory = session_factory
        self.listen_dsn = listen_dsn
        self.bus = bus
        self.batch_size = batch_size
        self.poll_interval_s = poll_interval_s
        self._wake = asyncio.Event()
        self._lock_key = zlib.crc32(f"outbox-relay:{service_name}".encode())
        self.is_leader = False

    async def run(self) -> None:
        """Publish until cancelled, reconnecting to PostgreSQL and RabbitMQ whenever either fails."""
        await keep_running(self._run_once, name=f"{self.service_name} outbox relay")

    async def _run_once(self) -> None:
        listener = await asyncpg.connect(self.listen_dsn)
        try:
            await listener.add_listener(notify_channel(self.service_name), lambda *_: self._wake.set())
            # Another replica holds the lock while it is alive; nothing signals its death but polling.
            if not await listener.fetchval("SELECT pg_try_advisory_lock($1)", self._lock_key):
                log.info("another %s relay is publishing; standing by", self.service_name)
                while not await listener.fetchval("SELECT pg_try_advisory_lock($1)", self._lock_key):  # noqa: ASYNC110
                    await asyncio.sleep(self.poll_interval_s)
            log.info("%s relay is publishing", self.service_name)
            self.is_leader = True
            connection = await self.bus.connection()
            async with connection.channel(publisher_confirms=True, on_return_raises=True) as channel:
                exchange = await declare_topology(channel, self.bus.topology)
                while True:
                    self._wake.clear()
                    published = await self.publish_batch(exchange)
                    if published >= self.batch_size:
                        continue
                    if channel.is_closed or listener.is_closed():
                        raise ConnectionError("connection to the broker or the database closed")
                    await wait_until_set(self._wake, self.poll_interval_s)
        finally:
            self.is_leader = False
            # Closing releases the leader lock; if the server does not answer, the connection is cut.
            await listener.close(timeout=5)

    async def publish_batch(self, exchange: AbstractExchange) -> int:
        """Publish one batch; return how many events the broker confirmed."""
        async with self.session_factory() as session, session.begin():
            rows = (await session.execute(_CLAIM_BATCH, {"batch_size": self.batch_size})).all()
            if not rows:
                return 0
            confirmed, refused, lost = await self._publish_in_waves(exchange, rows)
            if confirmed:
                await session.execute(_MARK_PUBLISHED, {"ids": confirmed, "now": _now()})
            for row, error in refused:
                log.error("broker refused event %s (%s): %r", row.event_id, row.event_type, error)
                await session.execute(
                    update(outbox)
                    .where(outbox.c.id == row.id)
                    .values(
                        attempts=row.attempts + 1,
                        last_error=repr(error)[:2000],
                        next_attempt_at=_now() + publish_backoff(row.attempts + 1),
                    )
                )
        OUTBOX_PUBLISHED.labels(self.service_name).inc(len(confirmed))
        OUTBOX_FAILURES.labels(self.service_name).inc(len(refused))
        if lost is not None:
            # Not the events' fault: the connection went. Unconfirmed rows go out after reconnecting.
            raise ConnectionError(f"publishing interrupted: {lost!r}")
        return len(confirmed)

    @staticmethod
    async def _publish_in_waves(
        exchange: AbstractExchange, rows: Sequence[Row[Any]]
    ) -> tuple[list[int], list[tuple[Row[Any], DeliveryError]], BaseException | None]:
        """Wave n holds the n-th event of every aggregate in the batch. A wave's publishes are all in
        flight at once (pipelined confirms); the next wave starts when they are confirmed. So events
        of different aggregates travel together, while one aggregate's events never overtake each
        other, and an event the broker refuses holds back the rest of its aggregate."""
        per_aggregate: dict[Any, list[Row[Any]]] = defaultdict(list)
        for row in rows:
            per_aggregate[row.aggregate_id].append(row)
        confirmed: list[int] = []
        refused: list[tuple[Row[Any], DeliveryError]] = []
        held_back: set[Any] = set()
        for wave_number in range(max(len(events) for events in per_aggregate.values())):
            wave = [
                events[wave_number]
                for aggregate, events in per_aggregate.items()
                if wave_number < len(events) and aggregate not in held_back
            ]
            results = await asyncio.gather(
                *(
                    exchange.publish(
                        to_message(row),
                        routing_key=row.event_type,
                        mandatory=is_subscribed(row.event_type),
                        timeout=CONFIRM_TIMEOUT_S,
                    )
                    for row in wave
                ),
                return_exceptions=True,
            )
            for row, result in zip(wave, results, strict=True):
                if isinstance(result, DeliveryError):
                    refused.append((row, result))
                    held_back.add(row.aggregate_id)
                elif isinstance(result, BaseException):
                    return confirmed, refused, result
                else:
                    confirmed.append(row.id)
        return confirmed, refused, None


def _now() -> datetime:
    return datetime.now(UTC)
