"""A service's app in a test: its settings pointed at the test's database and exchange, and the app
running in the test's process with its relay and consumer, reached over ASGI."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, TypeVar

import httpx
from fastapi import FastAPI

from servicekit.bus import Topology
from servicekit.settings import ServiceSettings
from servicekit.testing.infrastructure import Infrastructure

SettingsT = TypeVar("SettingsT", bound=ServiceSettings)


def settings_for_tests(
    settings_class: type[SettingsT],
    database_url: str,
    infra: Infrastructure,
    topology: Topology,
    **more: Any,
) -> SettingsT:
    """The service's settings on the test's database and exchange, with quick retries and polls."""
    values: dict[str, Any] = {
        "environment": "test",
        "database_url": database_url,
        "amqp_url": infra.amqp_url,
        "bus_exchange": topology.exchange,
        "bus_queue_type": topology.queue_type,
        "consumer_retry_delays_ms": list(topology.retry_delays_ms),
        "consumer_max_attempts": topology.max_attempts,
        "migrate_on_start": False,
        "outbox_poll_interval_s": 0.2,
        "log_json": False,
    }
    return settings_class(**{**values, **more})


def topology_environment(topology: Topology) -> dict[str, str]:
    """The environment that puts a service started as a process on the test's topology, as it is.

    Every part matters to the clean-up: a service declares a retry queue per attempt it may retry, so
    one left on the default attempts declares queues the test's `delete_topology` never removes, and
    they pile up in the broker run after run.
    """
    return {
        "BUS_EXCHANGE": topology.exchange,
        "BUS_QUEUE_TYPE": topology.queue_type,
        "CONSUMER_RETRY_DELAYS_MS": json.dumps(list(topology.retry_delays_ms)),
        "CONSUMER_MAX_ATTEMPTS": str(topology.max_attempts),
    }


@asynccontextmanager
async def running_in_process(app: FastAPI, base_url: str) -> AsyncIterator[httpx.AsyncClient]:
    """The app with its lifespan entered (relay, consumer, housekeeping running), and a client that
    reaches it over ASGI; `client.app` is the app, for tests that look inside."""
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url=base_url) as client:
            client.app = app  # type: ignore[attr-defined]
            yield client
