"""The unit of work: one transaction in which a use case changes state and records its events.

Handlers call ``uow.record(...)`` for each event; ``commit()`` writes them to the outbox in the same
transaction as the state change, so an event exists exactly when its change does.

Use cases never open or commit one: they receive it open from `servicekit.transactions` (or from the
consumer, for event handlers). Opening an open unit of work is a bug and raises, rather than quietly
replacing the session and losing the outer transaction's work.
"""

from __future__ import annotations

import uuid
from types import TracebackType
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from contracts import Actor, EventEnvelope, EventPayload, envelope_for
from servicekit.outbox import write_to_outbox


class UnitOfWork:
    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
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
        self._session: AsyncSession | None = None
        self.commit_started = False
        """Whether commit() was called in the current block: a failure from then on may have committed."""

    @property
    def session(self) -> AsyncSession:
        if self._session is None:
            raise RuntimeError("The unit of work is used outside its `async with` block.")
        return self._session

    async def __aenter__(self) -> UnitOfWork:
        if self._session is not None:
            raise RuntimeError(
                "This unit of work is already open; a use case gets it open and never opens it."
            )
        self._session = self._session_factory()
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

    def record(
        self, payload: EventPayload, *, office_id: str, aggregate_id: uuid.UUID, aggregate_version: int
    ) -> EventEnvelope[Any]:
        """Record an event to be written to the outbox at commit."""
        envelope = envelope_for(
            payload,
            office_id=office_id,
            aggregate_id=aggregate_id,
            aggregate_version=aggregate_version,
            correlation_id=self.correlation_id,
            causation_id=self.causation_id,
            actor=self.actor,
        )
        self._events.append(envelope)
        return envelope

    @property
    def recorded_events(self) -> list[EventEnvelope[Any]]:
        return list(self._events)

    async def commit(self) -> None:
        self.commit_started = True
        await write_to_outbox(self.session, self.service_name, self._events)
        await self.session.commit()
        self._events = []

    async def rollback(self) -> None:
        await self.session.rollback()
        self._events = []
