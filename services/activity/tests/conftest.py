"""Fixtures of the activity service's tests: its own migrated database, the app running in-process with its
consumer on the test's exchange, and the real customer service beside it for read-through."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from activity.config import Settings
from activity_api_helpers import (
    CONTACT_SERVICE_URL,
    CUSTOMER_SERVICE_URL,
    ContactOwner,
    migrated_activity_database,
)
from contracts.routing import SUBSCRIPTIONS
from customer_api_helpers import migrated_customer_database
from servicekit.bus import Topology
from servicekit.local_copies import LocalCopies
from servicekit.subscriptions import SubscriptionMismatch
from servicekit.testing.infrastructure import Infrastructure


@pytest.fixture(scope="session")
async def activity_database(infra: Infrastructure) -> AsyncIterator[str]:
    async for url in migrated_activity_database(infra, "activity"):
        yield url


@pytest.fixture(scope="session")
async def customer_service_database(infra: Infrastructure) -> AsyncIterator[str]:
    async for url in migrated_customer_database(infra, "activity_customer"):
        yield url


def _test_settings(
    settings_class: type, database_url: str, infra: Infrastructure, topology: Topology, **more: object
):
    return settings_class(
        environment="test",
        database_url=database_url,
        amqp_url=infra.amqp_url,
        bus_exchange=topology.exchange,
        bus_queue_type=topology.queue_type,
        consumer_retry_delays_ms=list(topology.retry_delays_ms),
        consumer_max_attempts=topology.max_attempts,
        migrate_on_start=False,
        outbox_poll_interval_s=0.2,
        log_json=False,
        **more,
    )


@pytest.fixture
def settings(activity_database: str, infra: Infrastructure, topology: Topology) -> Settings:
    return _test_settings(
        Settings,
        activity_database,
        infra,
        topology,
        customer_service_url=CUSTOMER_SERVICE_URL,
        contact_service_url=CONTACT_SERVICE_URL,
    )


@pytest.fixture
async def customer_api(
    customer_service_database: str, infra: Infrastructure, topology: Topology, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[httpx.AsyncClient]:
    """The real customer service in this process, publishing customer.* on the test's exchange."""
    from customer.config import Settings as CustomerSettings
    from customer.main import create_app as create_customer_app

    settings = _test_settings(CustomerSettings, customer_service_database, infra, topology)
    try:
        app = create_customer_app(settings)
    except SubscriptionMismatch:
        # The customer service is subscribed to contact.* before it has handlers for them (issue 9,
        # point 3, built beside this service); until then it runs here as the publisher it is.
        monkeypatch.setitem(SUBSCRIPTIONS, "customer", ())
        app = create_customer_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url=CUSTOMER_SERVICE_URL) as client:
            client.app = app  # type: ignore[attr-defined]
            yield client


@pytest.fixture
def contact_owner() -> ContactOwner:
    return ContactOwner()


@pytest.fixture
async def api(
    settings: Settings, customer_api: httpx.AsyncClient, contact_owner: ContactOwner
) -> AsyncIterator[httpx.AsyncClient]:
    """The activity service in this process, with its relay and its consumer running, reached over ASGI;
    a customer or contact missing from its copies is read from the real customer service and the
    contact stand-in."""
    from activity.main import create_app

    app = create_app(settings)
    async with app.router.lifespan_context(app):
        runtime = app.state.runtime
        await runtime.copies.close()
        owners = httpx.AsyncClient(
            mounts={
                CUSTOMER_SERVICE_URL: httpx.ASGITransport(app=customer_api.app),  # type: ignore[attr-defined]
                CONTACT_SERVICE_URL: httpx.ASGITransport(app=contact_owner.app),
            }
        )
        runtime.copies = LocalCopies(settings, client=owners)
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://activity") as client:
            client.app = app  # type: ignore[attr-defined]
            yield client
