"""The customer, contact, activity and search services as real processes for the `crm` commands' tests,
started once for this folder on their own exchange, databases and index prefix (each test uses its own
office). The portal is not among them: the commands must name it as down."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import aio_pika
import httpx
import pytest

from servicekit.bus import Topology, delete_topology
from servicekit.testing.databases import create_database, drop_database, with_database
from servicekit.testing.processes import free_port, running_service
from servicekit.testing.services import topology_environment

SERVICES = ("customer", "contact", "activity", "search")


@dataclass(frozen=True)
class Platform:
    urls: dict[str, str]
    databases: dict[str, str]
    """Service name → a plain postgresql:// URL of its database."""
    topology: Topology
    amqp_url: str


@pytest.fixture(scope="session")
async def crm_platform(infra, tmp_path_factory) -> AsyncIterator[Platform]:
    topology = Topology(
        exchange=f"test.crm.{uuid.uuid4().hex[:10]}",
        queue_type="classic",
        retry_delays_ms=(50,),
        max_attempts=2,
    )
    ports = {service: free_port() for service in SERVICES}
    names = {service: await create_database(infra.pg_admin_url, f"crm_{service}") for service in SERVICES}
    logs = tmp_path_factory.mktemp("crm-services")
    index_prefix = f"crm-{uuid.uuid4().hex[:10]}"
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
    }
    try:
        with contextlib.ExitStack() as stack:
            urls = {
                service: stack.enter_context(
                    running_service(
                        [f"{service}-service", "serve"],
                        {
                            **common,
                            "DATABASE_URL": with_database(
                                infra.pg_admin_url, names[service], driver="asyncpg"
                            ),
                        },
                        ports[service],
                        Path(logs) / f"{service}.log",
                    )
                )
                for service in SERVICES
            }
            yield Platform(
                urls,
                {service: with_database(infra.pg_admin_url, name) for service, name in names.items()},
                topology,
                infra.amqp_url,
            )
    finally:
        for name in names.values():
            await drop_database(infra.pg_admin_url, name)
        async with httpx.AsyncClient(base_url=infra.opensearch_url) as opensearch:
            await opensearch.delete(f"/{index_prefix}-customers-v*")
        connection = await aio_pika.connect(infra.amqp_url)
        async with connection:
            await delete_topology(await connection.channel(), topology)
