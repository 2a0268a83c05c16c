"""Fixtures of the contact service's tests: its own migrated database and the app running in-process, beside
the real customer service (also in-process, on the same test exchange), whose internal read answers the
contact service's read-through and whose relay publishes the customer.* events the contact service consumes.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from contact.config import Settings
from contact_api_helpers import migrated_contact_database
from customer.config import Settings as CustomerSettings
from customer_api_helpers import migrated_customer_database
from servicekit.bus import Topology
from servicekit.local_copies import LocalCopies
from servicekit.testing.infrastructure import Infrastructure


@pytest.fixture(scope="session")
async def contact_database(infra: Infrastructure) -> AsyncIterator[str]:
    async for url in migrated_contact_database(infra, "contact"):
        yield url


@pytest.fixture(scope="session")
async def customer_database(infra: Infrastructure) -> AsyncIterator[str]:
    async for url in migrated_customer_database(infra, "customer_of_contact"):
        yield url


def _test_settings(infra: Infrastructure, topology: Topology) -> dict[str, object]:
    return {
        "environment": "test",
        "amqp_url": infra.amqp_url,
        "bus_exchange": topology.exchange,
        "bus_queue_type": topology.queue_type,
        "consumer_retry_delays_ms": list(topology.retry_delays_ms),
        "consumer_max_attempts": topology.max_attempts,
        "migrate_on_start": False,
        "outbox_poll_interval_s": 0.2,
        "log_json": False,
    }


@pytest.fixture
def settings(contact_database: str, infra: Infrastructure, topology: Topology) -> Settings:
    return Settings(database_url=contact_database, **_test_settings(infra, topology))


@pytest.fixture
def customer_settings(customer_database: str, infra: Infrastructure, topology: Topology) -> CustomerSettings:
    return CustomerSettings(database_url=customer_database, **_test_settings(infra, topology))


@pytest.fixture
async def customer_api(customer_settings: CustomerSettings) -> AsyncIterator[httpx.AsyncClient]:
    """The customer service in this process, its relay publishing to the test's exchange."""
    from customer.main import create_app

    app = create_app(customer_settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://customer") as client:
            client.app = app  # type: ignore[attr-defined]
            yield client


@pytest.fixture
async def api(settings: Settings, customer_api: httpx.AsyncClient) -> AsyncIterator[httpx.AsyncClient]:
    """The contact service in this process, with its relay and its consumer running, reached over ASGI; a
    customer missing from its copy is read from the customer service above."""
    from contact.main import create_app

    app = create_app(settings)
    async with app.router.lifespan_context(app):
        runtime = app.state.runtime
        await runtime.copies.close()
        owner = httpx.ASGITransport(app=customer_api.app)  # type: ignore[attr-defined]
        runtime.copies = LocalCopies(
            settings, client=httpx.AsyncClient(transport=owner, base_url=settings.customer_service_url)
        )
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://contact") as client:
            client.app = app  # type: ignore[attr-defined]
            yield client
