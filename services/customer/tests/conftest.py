"""Fixtures of the customer service's tests: its own migrated database and the app running in-process."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from customer.config import Settings
from customer_api_helpers import migrated_customer_database
from servicekit.bus import Topology
from servicekit.testing.infrastructure import Infrastructure


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
