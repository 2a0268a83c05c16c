"""pytest fixtures for every service's tests (enabled in the root conftest.py)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable, Iterator

import aio_pika
import pytest

from servicekit.auth import issue_token
from servicekit.bus import Topology, delete_topology
from servicekit.db import SessionFactory, create_engine, create_session_factory
from servicekit.messaging_tables import messaging_metadata
from servicekit.settings import DEVELOPMENT_JWT_SECRET, JwtSettings
from servicekit.testing.bus import EventListener
from servicekit.testing.consumers import recording_metadata
from servicekit.testing.databases import create_database, drop_database, with_database
from servicekit.testing.infrastructure import Infrastructure, infrastructure


@pytest.fixture(scope="session")
def infra() -> Iterator[Infrastructure]:
    with infrastructure() as running:
        yield running


@pytest.fixture
def office_id() -> str:
    """A fresh office per test: tests sharing a database never see each other's records."""
    return f"office-{uuid.uuid4().hex[:12]}"


@pytest.fixture
async def topology(infra: Infrastructure) -> AsyncIterator[Topology]:
    """A test's own exchange (and so its own queues), removed afterwards."""
    # Classic queues: hundreds of tests each declare and delete a topology, and that churn is cheap for
    # classic queues but slow for quorum queues. Tests that are about queue types choose quorum.
    topology = Topology(
        exchange=f"test.{uuid.uuid4().hex[:12]}",
        queue_type="classic",
        retry_delays_ms=(50, 100),
        max_attempts=3,
    )
    yield topology
    async with asyncio.timeout(30):
        connection = await aio_pika.connect(infra.amqp_url, timeout=10)
        async with connection:
            channel = await connection.channel()
            await delete_topology(channel, topology)


@pytest.fixture
async def bus_listener(
    infra: Infrastructure, topology: Topology, office_id: str
) -> AsyncIterator[EventListener]:
    """Every event of the test's office published on the test's exchange, as it arrives."""
    connection = await aio_pika.connect(infra.amqp_url, timeout=10)
    async with connection:
        yield await EventListener(connection, topology.exchange, office_id).start()


@pytest.fixture(scope="session")
async def consumer_database(infra: Infrastructure) -> AsyncIterator[str]:
    """A database for test consumers: messaging tables and the table the recording handler writes."""
    name = await create_database(infra.pg_admin_url, "consumer")
    url = with_database(infra.pg_admin_url, name, driver="asyncpg")
    engine = create_engine(url)
    async with engine.begin() as connection:
        await connection.run_sync(messaging_metadata.create_all)
        await connection.run_sync(recording_metadata.create_all)
    await engine.dispose()
    yield url
    await drop_database(infra.pg_admin_url, name)


@pytest.fixture(scope="session")
async def consumer_sessions(consumer_database: str) -> AsyncIterator[SessionFactory]:
    engine = create_engine(consumer_database)
    yield create_session_factory(engine)
    await engine.dispose()


TokenFactory = Callable[..., str]


@pytest.fixture
def make_token(office_id: str) -> TokenFactory:
    """`make_token(role="manager", office=None)`: a bearer token signed like the dev tokens."""
    signing = JwtSettings(jwt_secret=DEVELOPMENT_JWT_SECRET, jwt_issuer="crm-dev", jwt_audience="crm")

    def make(role: str = "office_admin", office: str | None = None, **claims: object) -> str:
        return issue_token(
            signing,
            subject=f"user-{uuid.uuid4().hex[:8]}",
            name="Test User",
            office_id=office or office_id,
            roles=[role],
            **claims,  # type: ignore[arg-type]
        )

    return make


TEST_KINDS = ("unit", "integration", "e2e")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark each test by the folder it lives in; a test outside those folders would run in no stage."""
    for item in items:
        kinds = [kind for kind in TEST_KINDS if kind in item.path.parts]
        if not kinds:
            raise pytest.UsageError(f"{item.nodeid}: put the test under a unit/, integration/ or e2e/ folder")
        item.add_marker(kinds[-1])
