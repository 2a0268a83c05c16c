"""Fixtures of the servicekit's own tests: a publishing database per test, and a test event type."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest

from contracts import Actor
from servicekit.db import SessionFactory, create_engine, create_session_factory
from servicekit.messaging_tables import messaging_metadata
from servicekit.testing.databases import create_database, drop_database, with_database
from servicekit.testing.events import Pinged
from servicekit.testing.infrastructure import Infrastructure
from servicekit.unit_of_work import UnitOfWork


@pytest.fixture
async def publisher_database(infra: Infrastructure) -> AsyncIterator[str]:
    """A database of its own per test, so no relay ever sees another test's outbox."""
    name = await create_database(infra.pg_admin_url, "publisher")
    url = with_database(infra.pg_admin_url, name, driver="asyncpg")
    engine = create_engine(url)
    async with engine.begin() as connection:
        await connection.run_sync(messaging_metadata.create_all)
    await engine.dispose()
    yield url
    await drop_database(infra.pg_admin_url, name)


@pytest.fixture
async def publisher_sessions(publisher_database: str) -> AsyncIterator[SessionFactory]:
    engine = create_engine(publisher_database)
    yield create_session_factory(engine)
    await engine.dispose()


@pytest.fixture
def record_ping(publisher_sessions, office_id):
    """`await record_ping(aggregate_id, version, note)`: commit one event through a unit of work."""

    async def record(aggregate_id: uuid.UUID, version: int, note: str = "", event=Pinged) -> uuid.UUID:
        unit = UnitOfWork(
            publisher_sessions,
            service_name="publisher",
            actor=Actor(kind="service", id="test"),
            correlation_id="test",
        )
        async with unit:
            envelope = unit.record(
                event(note=note), office_id=office_id, aggregate_id=aggregate_id, aggregate_version=version
            )
            await unit.commit()
        return envelope.id

    return record
