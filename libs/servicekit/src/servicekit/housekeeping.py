"""Housekeeping: the kit's tables forget old rows, in one place, for every service.

Every service runs it (publishing or consuming), every ``PRUNE_INTERVAL_S`` and once at start-up:

- ``outbox``: published rows older than ``OUTBOX_RETENTION_HOURS`` (a week by default, for looking into
  what went out). Unpublished rows are never deleted, however old: they are events still owed to the bus.
- ``inbox``: rows older than ``INBOX_RETENTION_HOURS`` (a week by default).
- ``idempotency_keys``: keys older than ``IDEMPOTENCY_RETENTION_HOURS`` (a day by default, longer than any
  client keeps retrying one request); after that the same key creates anew.

Why the inbox retention must comfortably exceed the longest redelivery window: the inbox row is the only
thing that makes a second copy of an applied event do nothing. Copies keep arriving long after the first:
the relay publishes again an event the broker confirmed but whose row it could not mark (the database or
the connection went at that moment); the broker hands back every message a consumer had applied but not
yet acknowledged (acknowledgements are batched) when that consumer dies, and those copies wait in the
queue for as long as the consumer stays down - over a weekend, say. A copy that arrives after its inbox
row is gone is applied a second time. So the retention is measured in days, not in the minutes of the
retry chain.

Rows go in batches of ``PRUNE_BATCH_SIZE``, each in its own short transaction, so a large backlog never
holds long locks or one huge transaction; ``SKIP LOCKED`` lets replicas prune side by side. The age
indexes (messaging_migrations v1 for the outbox, v2 for the others) keep each batch cheap.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from sqlalchemy import Column, CursorResult, Table, delete, select, tuple_

from servicekit.db import SessionFactory
from servicekit.messaging_tables import idempotency_keys, inbox, outbox
from servicekit.reconnect import keep_running

log = logging.getLogger(__name__)

PRUNE_INTERVAL_S = 600.0
PRUNE_BATCH_SIZE = 1000


@dataclass(frozen=True)
class Retention:
    """How long the rows of each kit table are kept (``*_RETENTION_HOURS``)."""

    outbox: timedelta
    inbox: timedelta
    idempotency_keys: timedelta


class Housekeeping:
    def __init__(
        self,
        *,
        service_name: str,
        session_factory: SessionFactory,
        retention: Retention,
        interval_s: float = PRUNE_INTERVAL_S,
        batch_size: int = PRUNE_BATCH_SIZE,
    ) -> None:
        self.service_name = service_name
        self.session_factory = session_factory
        self.retention = retention
        self.interval_s = interval_s
        self.batch_size = batch_size

    async def run(self) -> None:
        """Prune now and every `interval_s` until cancelled; a failed pass is retried like a reconnect."""
        await keep_running(self._prune_then_wait, name=f"{self.service_name} housekeeping")

    async def _prune_then_wait(self) -> None:
        await self.prune()
        await asyncio.sleep(self.interval_s)

    async def prune(self, now: datetime | None = None) -> dict[str, int]:
        """Delete the expired rows of the three tables; return how many went from each."""
        now = now or datetime.now(UTC)
        expiring = (
            (outbox, outbox.c.published_at, self.retention.outbox),
            (inbox, inbox.c.processed_at, self.retention.inbox),
            (idempotency_keys, idempotency_keys.c.created_at, self.retention.idempotency_keys),
        )
        pruned = {
            table.name: await self._delete_older_than(table, age, now - kept) for table, age, kept in expiring
        }
        if any(pruned.values()):
            log.info("housekeeping deleted expired rows: %s", pruned)
        return pruned

    async def _delete_older_than(self, table: Table, age: Column[datetime], cutoff: datetime) -> int:
        # `age < cutoff` is false for NULL, so unpublished outbox rows (published_at NULL) always stay.
        key = list(table.primary_key.columns)
        batch = (
            select(*key)
            .where(age < cutoff)
            .limit(self.batch_size)
            .with_for_update(skip_locked=True)
            .correlate(None)  # a batch chosen by its own query, not a subquery tied to the DELETE
        )
        deleted = 0
        while True:
            async with self.session_factory() as session, session.begin():
                result = cast(
                    CursorResult[Any], await session.execute(delete(table).where(tuple_(*key).in_(batch)))
                )
            deleted += result.rowcount
            if result.rowcount < self.batch_size:
                return deleted
