"""The customer service as a real process: a customer created over HTTP arrives on RabbitMQ as an event."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import time
import uuid
from pathlib import Path

import httpx
import pytest

from servicekit.testing.databases import create_database, drop_database, with_database
from servicekit.testing.processes import free_port, running_service
from servicekit.testing.services import topology_environment


@pytest.fixture
async def database_name(infra):
    name = await create_database(infra.pg_admin_url, "e2e_customer")
    yield name
    await drop_database(infra.pg_admin_url, name)


@pytest.fixture
def customer_service(infra, topology, tmp_path: Path, database_name: str):
    name = database_name
    env = {
        "DATABASE_URL": with_database(infra.pg_admin_url, name, driver="asyncpg"),
        "AMQP_URL": infra.amqp_url,
        **topology_environment(topology),
        "MIGRATE_ON_START": "true",
        "ENVIRONMENT": "test",
        "OUTBOX_POLL_INTERVAL_S": "0.5",
        "WORKERS": "2",  # as in production: two API processes and one for the relay and the consumer
    }
    with running_service(["customer-service", "serve"], env, free_port(), tmp_path / "customer.log") as url:
        yield url


def test_a_customer_created_over_http_is_seen_by_crm_events_watch(
    customer_service, topology, infra, office_id
):
    correlation = f"e2e-{uuid.uuid4().hex[:8]}"
    event, created = _create_and_watch(customer_service, topology, infra, office_id, correlation)
    assert event["type"] == "customer.created"
    assert event["aggregate_id"] == created["id"]
    assert event["office_id"] == office_id
    assert event["correlation_id"] == correlation
    assert event["payload"]["customer"]["name"] == "Fjordkraft Service AS"


def test_the_background_process_killed_comes_back_and_events_keep_flowing(
    customer_service, topology, infra, office_id, database_name
):
    # With WORKERS=2 the relay runs in a process of its own beside the API workers; kill it hard.
    background, workers = _processes_once_started(database_name)
    assert len(background) == 1, "one background process beside the API workers"
    os.kill(background[0], signal.SIGKILL)

    event, created = _create_and_watch(customer_service, topology, infra, office_id, "after-a-kill")
    assert event["aggregate_id"] == created["id"]
    # The new one is the only background process, still told apart from the same two API workers.
    [restarted], workers_now = _processes_once_started(database_name)
    assert restarted != background[0]
    assert sorted(workers_now) == sorted(workers)


def test_an_api_worker_slow_to_answer_the_health_check_is_not_killed(customer_service, database_name):
    # A worker that leaves uvicorn's health check unanswered for longer than uvicorn's own 5 s (here
    # stopped; in life, importing the service on a busy machine) is given WORKER_HEALTHCHECK_TIMEOUT_S.
    # With uvicorn's 5 s, under load a new worker was killed before it had started, again and again.
    _, workers = _processes_once_started(database_name)
    assert len(workers) == 2, "two API workers"
    os.kill(workers[0], signal.SIGSTOP)
    try:
        time.sleep(8)
    finally:
        with contextlib.suppress(ProcessLookupError):  # killed by the supervisor: the assert says so
            os.kill(workers[0], signal.SIGCONT)
    time.sleep(1)  # the supervisor checks every half second
    assert sorted(_processes_once_started(database_name)[1]) == sorted(workers)
    assert httpx.get(f"{customer_service}/readyz").json()["status"] == "ready"


def _create_and_watch(base_url: str, topology, infra, office_id: str, correlation: str) -> tuple[dict, dict]:
    """Create a customer over HTTP and return the event `crm events watch` saw, with the created body."""
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
        response = httpx.post(
            f"{base_url}/v1/customers",
            json={"name": "Fjordkraft Service AS", "country": "NO"},
            headers={"Authorization": f"Bearer {token}", "X-Correlation-ID": correlation},
            timeout=10,
        )
        assert response.status_code == 201, response.text
        output, _ = watcher.communicate(timeout=30)
    finally:
        watcher.kill()
    return json.loads(output.strip().splitlines()[-1]), response.json()


def _processes_once_started(database_name: str, within: float = 30) -> tuple[list[int], list[int]]:
    """The background process and the API workers, once the background process has named itself: the
    API workers may answer /readyz while it is still importing the service (and is not yet named)."""
    deadline = time.monotonic() + within
    while True:
        background = _spawned_processes(database_name, background=True)
        if background or time.monotonic() > deadline:
            return background, _spawned_processes(database_name, background=False)
        time.sleep(0.2)


def _spawned_processes(database_name: str, *, background: bool) -> list[int]:
    """The children of this test's `serve` process (found by its database): the background process
    (its title says so) or the API workers (uvicorn's spawned children); not multiprocessing's
    resource tracker. The background process's own environment is not read: retitling a process on
    Linux writes over the memory /proc/<pid>/environ shows."""
    processes: dict[int, tuple[int, bytes, list[bytes]]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            command = (entry / "cmdline").read_bytes()
            environment = (entry / "environ").read_bytes().split(b"\0")
        except (OSError, ValueError, IndexError):
            continue
        processes[int(entry.name)] = (parent, command, environment)
    servers = {
        pid
        for pid, (_, command, environment) in processes.items()
        if b"customer-service\0serve" in command
        and any(item.startswith(b"DATABASE_URL=") and database_name.encode() in item for item in environment)
    }
    role = b"customer-service background" if background else b"spawn_main"
    return [pid for pid, (parent, command, _) in processes.items() if parent in servers and role in command]


def test_the_running_service_reports_ready_and_serves_its_docs(customer_service):
    assert httpx.get(f"{customer_service}/readyz").json()["status"] == "ready"
    assert httpx.get(f"{customer_service}/docs").status_code == 200
    metrics = httpx.get(f"{customer_service}/metrics").text
    assert "outbox_backlog" in metrics
