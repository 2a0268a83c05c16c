"""The customer service as a real process: a customer created over HTTP arrives on RabbitMQ as an event."""

from __future__ import annotations

import json
import os
import subprocess
import uuid
from pathlib import Path

import httpx
import pytest

from servicekit.testing.databases import create_database, drop_database, with_database
from servicekit.testing.processes import free_port, running_service


@pytest.fixture
async def customer_service(infra, topology, tmp_path: Path):
    name = await create_database(infra.pg_admin_url, "e2e_customer")
    env = {
        "DATABASE_URL": with_database(infra.pg_admin_url, name, driver="asyncpg"),
        "AMQP_URL": infra.amqp_url,
        "BUS_EXCHANGE": topology.exchange,
        "MIGRATE_ON_START": "true",
        "ENVIRONMENT": "test",
        "OUTBOX_POLL_INTERVAL_S": "0.5",
        "WORKERS": "2",  # as in production: several server processes, one relay leader among them
    }
    try:
        with running_service(
            ["customer-service", "serve"], env, free_port(), tmp_path / "customer.log"
        ) as url:
            yield url
    finally:
        await drop_database(infra.pg_admin_url, name)


def test_a_customer_created_over_http_is_seen_by_crm_events_watch(
    customer_service, topology, infra, office_id
):
    token = subprocess.run(
        ["crm", "token", "--office", office_id, "--role", "manager"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    watcher = subprocess.Popen(
        [
            "crm",
            "events",
            "watch",
            "--exchange",
            topology.exchange,
            "--amqp-url",
            infra.amqp_url,
            "--count",
            "1",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=os.environ,
    )
    try:
        assert "watching" in watcher.stderr.readline()  # bound to the exchange before we publish
        correlation = f"e2e-{uuid.uuid4().hex[:8]}"
        response = httpx.post(
            f"{customer_service}/v1/customers",
            json={"name": "Fjordkraft Service AS", "country": "NO"},
            headers={"Authorization": f"Bearer {token}", "X-Correlation-ID": correlation},
            timeout=10,
        )
        assert response.status_code == 201, response.text
        output, _ = watcher.communicate(timeout=30)
    finally:
        watcher.kill()
    event = json.loads(output.strip().splitlines()[-1])
    assert event["type"] == "customer.created"
    assert event["aggregate_id"] == response.json()["id"]
    assert event["office_id"] == office_id
    assert event["correlation_id"] == correlation
    assert event["payload"]["customer"]["name"] == "Fjordkraft Service AS"


def test_the_running_service_reports_ready_and_serves_its_docs(customer_service):
    assert httpx.get(f"{customer_service}/readyz").json()["status"] == "ready"
    assert httpx.get(f"{customer_service}/docs").status_code == 200
    metrics = httpx.get(f"{customer_service}/metrics").text
    assert "outbox_backlog" in metrics
