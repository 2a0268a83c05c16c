"""Fixtures of the search service's tests: its own migrated database, its own index (a prefix per test,
so tests never see each other's documents) on the real OpenSearch, and the app running in-process on the
test's exchange; the real customer service beside it for tests that go through it."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import httpx
import pytest

from contact.config import Settings as ContactSettings
from contact_api_helpers import migrated_contact_database
from customer.config import Settings as CustomerSettings
from customer_api_helpers import migrated_customer_database
from search.adapters.opensearch import SearchIndex
from search.config import Settings
from search_api_helpers import migrated_search_database
from servicekit.bus import Topology
from servicekit.testing.infrastructure import Infrastructure
from servicekit.testing.owners import read_owners_through
from servicekit.testing.services import running_in_process, settings_for_tests


@pytest.fixture(scope="session")
async def search_database(infra: Infrastructure) -> AsyncIterator[str]:
    async for url in migrated_search_database(infra, "search"):
        yield url


@pytest.fixture(scope="session")
async def customer_database(infra: Infrastructure) -> AsyncIterator[str]:
    async for url in migrated_customer_database(infra, "customer_of_search"):
        yield url


@pytest.fixture
def settings(search_database: str, infra: Infrastructure, topology: Topology) -> Settings:
    return settings_for_tests(
        Settings,
        search_database,
        infra,
        topology,
        opensearch_url=infra.opensearch_url,
        search_index_prefix=f"test-{uuid.uuid4().hex[:12]}",
        search_warmup_queries=2,
    )


@pytest.fixture
async def index(settings: Settings) -> AsyncIterator[SearchIndex]:
    """The test's own index (created on first use), dropped afterwards."""
    index = SearchIndex(settings)
    yield index
    await index.drop()
    await index.close()


@pytest.fixture
async def api(settings: Settings, index: SearchIndex) -> AsyncIterator[httpx.AsyncClient]:
    """The search service in this process, its consumer on the test's exchange, reached over ASGI."""
    from search.main import create_app

    async with running_in_process(create_app(settings), "http://search") as client:
        await client.app.state.warmup.done.wait()  # type: ignore[attr-defined]
        yield client


@pytest.fixture
def customer_settings(customer_database: str, infra: Infrastructure, topology: Topology) -> CustomerSettings:
    return settings_for_tests(CustomerSettings, customer_database, infra, topology)


@pytest.fixture
async def customer_api(customer_settings: CustomerSettings) -> AsyncIterator[httpx.AsyncClient]:
    """The customer service in this process, its relay publishing to the test's exchange."""
    from customer.main import create_app

    async with running_in_process(create_app(customer_settings), "http://customer") as client:
        yield client


@pytest.fixture(scope="session")
async def contact_database(infra: Infrastructure) -> AsyncIterator[str]:
    async for url in migrated_contact_database(infra, "contact_of_search"):
        yield url


@pytest.fixture
def contact_settings(contact_database: str, infra: Infrastructure, topology: Topology) -> ContactSettings:
    return settings_for_tests(ContactSettings, contact_database, infra, topology)


@pytest.fixture
async def contact_api(
    contact_settings: ContactSettings, customer_settings: CustomerSettings, customer_api: httpx.AsyncClient
) -> AsyncIterator[httpx.AsyncClient]:
    """The contact service in this process beside the customer service, each reading the other's
    aggregates through in-process."""
    from contact.main import create_app

    async with running_in_process(create_app(contact_settings), "http://contact") as client:
        await read_owners_through(client.app, {contact_settings.customer_service_url: customer_api.app})  # type: ignore[attr-defined]
        await read_owners_through(customer_api.app, {customer_settings.contact_service_url: client.app})  # type: ignore[attr-defined]
        yield client
