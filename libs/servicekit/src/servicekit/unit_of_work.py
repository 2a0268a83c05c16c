"""The unit of work: one transaction in which a use case changes state and records its events.

Handlers call ``uow.record(...)`` for each event; ``commit()`` writes them to the outbox in the same
transaction as the state change, so an event exists exactly when its change does.

Use cases never open or commit one: they receive it open from `servicekit.transactions` (or from the
consumer, for event handlers). Opening an open unit of work is a bug and raises, rather than quietly
replacing the session and losing the outer transaction's work.

The consumer applies a whole batch of events in one unit of work, each event as a ``step``: a savepoint
that an exception rolls back together with the events recorded in it, leaving the rest of the batch.
Steps cost one round trip each, because opening a step releases the previous one in the same message
(``RELEASE SAVEPOINT s; SAVEPOINT s``, which PostgreSQL's simple query protocol takes as one), sent on
the driver's connection; the commit releases the last. Reason: the consumer pays a step per event, and
SQLAlchemy's ``begin_nested`` (two statements through the ORM session) made an event with a one-row
handler about four times slower in our measurements, where this adds one round trip.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from types import TracebackType
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from contracts import Actor, EventEnvelope, EventPayload, envelope_for
from servicekit.db import SessionFactory
from servicekit.outbox import write_to_outbox

_STEP = "unit_of_work_step"


class TransactionBroken(Exception):
    """A step's savepoint could not be opened or rolled back: the whole transaction is lost (the
    connection went away), not just the step."""


class UnitOfWork:
    def __init__(
        self,
        session_factory: SessionFactory,
        *,
        service_name: str,
        actor: Actor,
        correlation_id: str,
        causation_id: str | None = None,
    ) -> None:
        self._session_factory = session_factory
        self.service_name = service_name
        self.actor = actor
        self.correlation_id = correlation_id
        self.causation_id = causation_id
        self._events: list[EventEnvelope[Any]] = []
        self._session: AsyncConnection | None = None
        self.commit_started = False
        """Whether commit() was called in the current block: a failure from then on may have committed."""
        self._driver_connection: Any = None
        self._in_step = False

    @property
    def session(self) -> AsyncConnection:
        if self._session is None:
            raise RuntimeError("The unit of work is used outside its `async with` block.")
        return self._session

    async def __aenter__(self) -> UnitOfWork:
        if self._session is not None:
            raise RuntimeError(
                "This unit of work is already open; a use case gets it open and never opens it."
            )
        self._session = await self._session_factory().start()
        self.commit_started = False
        await self._session.begin()
        self._events = []
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        # Anything not committed explicitly is rolled back, and its recorded events with it.
        try:
            if self.session.in_transaction():
                await self.session.rollback()
        finally:
            await self.session.close()
            self._session = None
            self._events = []
            self._driver_connection = None

    def handling(self, event: EventEnvelope[Any]) -> None:
        """Events recorded from now on continue `event`'s correlation and name it their cause (the
        consumer calls this before each handler of a batch)."""
        self.correlation_id = event.correlation_id
        self.causation_id = str(event.id)

    def record(
        self,
        payload: EventPayload,
        *,
        office_id: str,
        aggregate_id: uuid.UUID,
        aggregate_version: int,
        caused_by: EventEnvelope[Any] | None = None,
    ) -> EventEnvelope[Any]:
        """Record an event to be written to the outbox at commit. A batch handler names the event
        that caused it with `caused_by`; otherwise the unit of work's correlation and cause apply."""
        envelope = envelope_for(
            payload,
            office_id=office_id,
            aggregate_id=aggregate_id,
            aggregate_version=aggregate_version,
            correlation_id=caused_by.correlation_id if caused_by else self.correlation_id,
            causation_id=str(caused_by.id) if caused_by else self.causation_id,
            actor=self.actor,
        )
        self._events.append(envelope)
        return envelope

    @asynccontextmanager
    async def step(self) -> AsyncIterator[None]:
        """Run one step of the transaction in its own savepoint.

        An exception inside rolls back the step's writes and the events it recorded, then propagates;
        what earlier steps did stays. Raises `TransactionBroken` instead when the savepoint itself
        fails (the connection is gone). Steps do not nest; a handler that needs its own savepoint
        inside a step uses `session.begin_nested()`.
        """
        if self._in_step:
            raise RuntimeError("Steps of a unit of work do not nest.")
        recorded = len(self._events)
        session = self.session
        try:
            if self._driver_connection is None:
                # The first through SQLAlchemy, which begins the transaction if nothing has yet.
                await session.execute(text(f"SAVEPOINT {_STEP}"))
                self._driver_connection = (await session.get_raw_connection()).driver_connection
            else:
                await self._driver_connection.execute(f"RELEASE SAVEPOINT {_STEP}; SAVEPOINT {_STEP}")
        except Exception as exc:
            raise TransactionBroken(f"could not open a savepoint: {exc!r}") from exc
        self._in_step = True
        try:
            yield
        except Exception:
            try:
                await self._driver_connection.execute(f"ROLLBACK TO SAVEPOINT {_STEP}")
            except Exception as exc:
                raise TransactionBroken(f"could not roll back a savepoint: {exc!r}") from exc
            del self._events[recorded:]
            raise
        finally:
            self._in_step = False

    @property
    def recorded_events(self) -> list[EventEnvelope[Any]]:
        return list(self._events)

    async def commit(self) -> None:
        self.commit_started = True
        await write_to_outbox(self.session, self.service_name, self._events)
        await self.session.commit()
        self._events = []
        self._driver_connection = None

    async def rollback(self) -> None:
        await self.session.rollback()
        self._events = []
        self._driver_connection = None
