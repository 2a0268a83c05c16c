"""The platform as real processes for end-to-end tests, started as `scripts/up.sh` starts them: each service
with its own fresh database, all on the test's exchange, reading each other's internal endpoints, the
search service on its own index prefix."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from servicekit.testing.databases import create_database, drop_database, with_database
from servicekit.testing.processes import free_port, running_service
from servicekit.testing.services import topology_environment

PLATFORM = ("customer", "contact", "activity", "search", "portal")


@pytest.fixture
def platform_env() -> dict[str, str]:
    """Settings every service of the platform gets besides the common ones; a test module may override."""
    return {}


@pytest.fixture
async def platform(
    infra, topology, tmp_path: Path, platform_env: dict[str, str]
) -> AsyncIterator[dict[str, str]]:
    """Service name → base URL of every service of the platform, running."""
    ports = {service: free_port() for service in PLATFORM}
    databases = {service: await create_database(infra.pg_admin_url, f"e2e_{service}") for service in PLATFORM}
    index_prefix = f"e2e-{uuid.uuid4().hex[:10]}"
    common = {
        "AMQP_URL": infra.amqp_url,
        **topology_environment(topology),
        "MIGRATE_ON_START": "true",
        "ENVIRONMENT": "test",
        "OUTBOX_POLL_INTERVAL_S": "0.5",
        "CUSTOMER_SERVICE_URL": f"http://127.0.0.1:{ports['customer']}",
        "CONTACT_SERVICE_URL": f"http://127.0.0.1:{ports['contact']}",
        "OPENSEARCH_URL": infra.opensearch_url,
        "SEARCH_INDEX_PREFIX": index_prefix,
        **platform_env,
    }
    try:
        with contextlib.ExitStack() as stack:
            yield {
                service: stack.enter_context(
                    running_service(
                        [f"{service}-service", "serve"],
                        {
                            **common,
                            "DATABASE_URL": with_database(
                                infra.pg_admin_url, databases[service], driver="asyncpg"
                            ),
                        },
                        ports[service],
                        tmp_path / f"{service}.log",
                    )
                )
                for service in PLATFORM
            }
    finally:
        for name in databases.values():
            await drop_database(infra.pg_admin_url, name)
        async with httpx.AsyncClient(base_url=infra.opensearch_url) as opensearch:
            await opensearch.delete(f"/{index_prefix}-customers-v*")
