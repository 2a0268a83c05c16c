"""Fixtures of the customer service's tests: its own migrated database and the app running in-process."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from customer.config import Settings
from customer_api_helpers import migrated_customer_database
from servicekit.bus import Topology
from servicekit.testing.infrastructure import Infrastructure
from servicekit.testing.owners import StandInOwner, read_owners_through
from servicekit.testing.services import running_in_process, settings_for_tests


@pytest.fixture(scope="session")
async def customer_database(infra: Infrastructure) -> AsyncIterator[str]:
    async for url in migrated_customer_database(infra, "customer"):
        yield url


@pytest.fixture
def settings(customer_database: str, infra: Infrastructure, topology: Topology) -> Settings:
    return settings_for_tests(Settings, customer_database, infra, topology)


@pytest.fixture
def contact_owner() -> StandInOwner:
    """Stands in for the contact service's internal read: knows the contacts a test gives it."""
    return StandInOwner("contact")


@pytest.fixture
async def api(settings: Settings, contact_owner: StandInOwner) -> AsyncIterator[httpx.AsyncClient]:
    """The customer service in this process, with its outbox relay and its contact.* consumer running,
    reached over ASGI; a contact missing from its copy is asked of `contact_owner`."""
    from customer.main import create_app

    async with running_in_process(create_app(settings), "http://customer") as client:
        await read_owners_through(client.app, {settings.contact_service_url: contact_owner.app})  # type: ignore[attr-defined]
        yield client
