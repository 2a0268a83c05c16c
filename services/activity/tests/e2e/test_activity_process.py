"""The activity service as a real process, started as `scripts/up.sh` starts it: it migrates its database,
reports ready, consumes customer.* and contact.* from its queue, and shows its queues in /metrics."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import httpx
import pytest

from activity_api_helpers import (
    a_contact,
    a_customer,
    auth,
    contact_created,
    customer_created,
    customer_deleted,
    publish_events,
)
from servicekit.testing.databases import create_database, drop_database, with_database
from servicekit.testing.processes import free_port, running_service


@pytest.fixture
async def activity_service(infra, topology, tmp_path: Path):
    name = await create_database(infra.pg_admin_url, "e2e_activity")
    env = {
        "DATABASE_URL": with_database(infra.pg_admin_url, name, driver="asyncpg"),
        "AMQP_URL": infra.amqp_url,
        "BUS_EXCHANGE": topology.exchange,
        "BUS_QUEUE_TYPE": topology.queue_type,
        "MIGRATE_ON_START": "true",
        "ENVIRONMENT": "test",
        "OUTBOX_POLL_INTERVAL_S": "0.5",
    }
    try:
        with running_service(
            ["activity-service", "serve"], env, free_port(), tmp_path / "activity.log"
        ) as url:
            yield url
    finally:
        await drop_database(infra.pg_admin_url, name)


async def eventually_status(client: httpx.AsyncClient, path: str, token: str, status: int) -> httpx.Response:
    for _ in range(100):
        response = await client.get(path, headers=auth(token))
        if response.status_code == status:
            return response
        await asyncio.sleep(0.1)
    raise AssertionError(f"{path} never answered {status}; last {response.status_code}: {response.text}")


async def test_the_process_logs_activities_on_customers_it_learnt_from_the_bus_and_follows_their_deletion(
    activity_service, infra, topology, office_id, make_token, bus_listener
):
    customer = a_customer(office_id)
    kari = a_contact(office_id, customer.id)
    await publish_events(infra.amqp_url, topology, customer_created(customer), contact_created(kari))
    token = make_token("manager")
    async with httpx.AsyncClient(base_url=activity_service, timeout=10) as client:
        assert (await client.get("/readyz")).status_code == 200
        # The customer filter answers 404 until the customer's event has been applied.
        await eventually_status(client, f"/v1/activities?customer_id={customer.id}", token, 200)
        await eventually_status(client, f"/v1/activities?contact_id={kari.id}", token, 200)
        logged = await client.post(
            "/v1/activities",
            json={
                "kind": "task",
                "subject": "Send offer",
                "customer_id": str(customer.id),
                "contact_ids": [str(kari.id)],
            },
            headers=auth(token),
        )
        assert logged.status_code == 201, logged.text
        activity = logged.json()
        [created] = await bus_listener.wait_for(1, "activity.created", within=15)
        assert created["aggregate_id"] == activity["id"]

        metrics = (await client.get("/metrics")).text
        queue = topology.queue_name("activity")
        assert f'consumer_lag_messages{{queue="{queue}",service="activity"}}' in metrics
        assert f'dead_letter_queue_messages{{queue="{queue}.dlq",service="activity"}}' in metrics
        assert 'outbox_backlog{service="activity"}' in metrics

        await publish_events(
            infra.amqp_url, topology, customer_deleted(customer.model_copy(update={"version": 2}))
        )
        await eventually_status(client, f"/v1/activities/{activity['id']}", token, 404)
        [deleted] = await bus_listener.wait_for(1, "activity.deleted", within=15)
        assert deleted["aggregate_id"] == activity["id"]
        assert uuid.UUID(deleted["causation_id"])
