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
from servicekit.testing.infrastructure import Infrastructure
from servicekit.testing.owners import read_owners_through
from servicekit.testing.services import running_in_process, settings_for_tests


@pytest.fixture(scope="session")
async def contact_database(infra: Infrastructure) -> AsyncIterator[str]:
    async for url in migrated_contact_database(infra, "contact"):
        yield url


@pytest.fixture(scope="session")
async def customer_database(infra: Infrastructure) -> AsyncIterator[str]:
    async for url in migrated_customer_database(infra, "customer_of_contact"):
        yield url


@pytest.fixture
def settings(contact_database: str, infra: Infrastructure, topology: Topology) -> Settings:
    return settings_for_tests(Settings, contact_database, infra, topology)


@pytest.fixture
def customer_settings(customer_database: str, infra: Infrastructure, topology: Topology) -> CustomerSettings:
    return settings_for_tests(CustomerSettings, customer_database, infra, topology)


@pytest.fixture
async def customer_api(customer_settings: CustomerSettings) -> AsyncIterator[httpx.AsyncClient]:
    """The customer service in this process, its relay publishing to the test's exchange."""
    from customer.main import create_app

    async with running_in_process(create_app(customer_settings), "http://customer") as client:
        yield client


@pytest.fixture
async def api(
    settings: Settings, customer_settings: CustomerSettings, customer_api: httpx.AsyncClient
) -> AsyncIterator[httpx.AsyncClient]:
    """The contact service in this process, with its relay and its consumer running, reached over ASGI; a
    customer missing from its copy is read from the customer service above, and a contact missing from
    the customer service's copy from this one."""
    from contact.main import create_app

    async with running_in_process(create_app(settings), "http://contact") as client:
        await read_owners_through(client.app, {settings.customer_service_url: customer_api.app})  # type: ignore[attr-defined]
        await read_owners_through(customer_api.app, {customer_settings.contact_service_url: client.app})  # type: ignore[attr-defined]
        yield client
