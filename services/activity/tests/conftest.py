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
    migrated_activity_database,
)
from customer_api_helpers import migrated_customer_database
from servicekit.bus import Topology
from servicekit.testing.infrastructure import Infrastructure
from servicekit.testing.owners import StandInOwner, read_owners_through
from servicekit.testing.services import running_in_process, settings_for_tests


@pytest.fixture(scope="session")
async def activity_database(infra: Infrastructure) -> AsyncIterator[str]:
    async for url in migrated_activity_database(infra, "activity"):
        yield url


@pytest.fixture(scope="session")
async def customer_service_database(infra: Infrastructure) -> AsyncIterator[str]:
    async for url in migrated_customer_database(infra, "activity_customer"):
        yield url


@pytest.fixture
def settings(activity_database: str, infra: Infrastructure, topology: Topology) -> Settings:
    return settings_for_tests(
        Settings,
        activity_database,
        infra,
        topology,
        customer_service_url=CUSTOMER_SERVICE_URL,
        contact_service_url=CONTACT_SERVICE_URL,
    )


@pytest.fixture
async def customer_api(
    customer_service_database: str, infra: Infrastructure, topology: Topology
) -> AsyncIterator[httpx.AsyncClient]:
    """The real customer service in this process, publishing customer.* on the test's exchange."""
    from customer.config import Settings as CustomerSettings
    from customer.main import create_app as create_customer_app

    settings = settings_for_tests(CustomerSettings, customer_service_database, infra, topology)
    async with running_in_process(create_customer_app(settings), CUSTOMER_SERVICE_URL) as client:
        yield client


@pytest.fixture
def contact_owner() -> StandInOwner:
    """Stands in for the contact service's internal read: knows the contacts a test gives it."""
    return StandInOwner("contact")


@pytest.fixture
async def api(
    settings: Settings, customer_api: httpx.AsyncClient, contact_owner: StandInOwner
) -> AsyncIterator[httpx.AsyncClient]:
    """The activity service in this process, with its relay and its consumer running, reached over ASGI;
    a customer or contact missing from its copies is read from the real customer service and the
    contact stand-in."""
    from activity.main import create_app

    async with running_in_process(create_app(settings), "http://activity") as client:
        owners = {CUSTOMER_SERVICE_URL: customer_api.app, CONTACT_SERVICE_URL: contact_owner.app}  # type: ignore[attr-defined]
        await read_owners_through(client.app, owners)  # type: ignore[attr-defined]
        yield client
