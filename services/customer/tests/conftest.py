"""Fixtures of the customer service's tests: its own migrated database and the app running in-process."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from customer.config import Settings
from servicekit.bus import Topology
from servicekit.db import create_engine
from servicekit.migrations import upgrade_database
from servicekit.testing.databases import create_database, drop_database, with_database
from servicekit.testing.infrastructure import Infrastructure


async def migrated_customer_database(infra: Infrastructure, prefix: str) -> AsyncIterator[str]:
    """A fresh database with the customer service's migrations applied, dropped afterwards."""
    from customer.main import MIGRATIONS  # the app is imported only where a test needs it

    name = await create_database(infra.pg_admin_url, prefix)
    url = with_database(infra.pg_admin_url, name, driver="asyncpg")
    engine = create_engine(url)
    await upgrade_database(engine, MIGRATIONS)
    await engine.dispose()
    yield url
    await drop_database(infra.pg_admin_url, name)


@pytest.fixture(scope="session")
async def customer_database(infra: Infrastructure) -> AsyncIterator[str]:
    async for url in migrated_customer_database(infra, "customer"):
        yield url


@pytest.fixture
def settings(customer_database: str, infra: Infrastructure, topology: Topology) -> Settings:
    return Settings(
        environment="test",
        database_url=customer_database,
        amqp_url=infra.amqp_url,
        bus_exchange=topology.exchange,
        bus_queue_type=topology.queue_type,
        consumer_retry_delays_ms=list(topology.retry_delays_ms),
        consumer_max_attempts=topology.max_attempts,
        migrate_on_start=False,
        outbox_poll_interval_s=0.2,
        log_json=False,
    )


@pytest.fixture
async def api(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """The customer service in this process, with its outbox relay running, reached over ASGI."""
    from customer.main import create_app

    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://customer") as client:
            client.app = app  # type: ignore[attr-defined]
            yield client
