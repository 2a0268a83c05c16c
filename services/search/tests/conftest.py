"""Fixtures of the search service's tests: its own migrated database, its own index (a prefix per test,
so tests never see each other's documents) on the real OpenSearch, and the app running in-process on the
test's exchange; the real customer service beside it for tests that go through it."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import httpx
import pytest

from customer.config import Settings as CustomerSettings
from customer_api_helpers import migrated_customer_database
from search.adapters.opensearch import SearchIndex
from search.config import Settings
from search_api_helpers import migrated_search_database
from servicekit.bus import Topology
from servicekit.testing.infrastructure import Infrastructure
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
