"""`crm status`: one table of every service's health, outbox backlog, consumer lag and dead letters; a
service that is down is named in one line."""

from __future__ import annotations

import re
import time
import uuid

import httpx
from typer.testing import CliRunner

from crm import cli
from crm.reach import staff_token
from servicekit.testing.processes import free_port

runner = CliRunner()


def status(platform, *extra: str):
    return runner.invoke(
        cli.app,
        [
            "status",
            *("--customer-url", platform.urls["customer"], "--contact-url", platform.urls["contact"]),
            *("--activity-url", platform.urls["activity"], "--search-url", platform.urls["search"]),
            *("--exchange", platform.topology.exchange, "--amqp-url", platform.amqp_url),
            *extra,
        ],
        env={"COLUMNS": "200"},
    )


def row(output: str, service: str) -> list[str]:
    line = next(line for line in output.splitlines() if line.startswith(f"│ {service} "))
    return [cell.strip() for cell in line.strip("│ ").split("│")]


def a_customer_is_indexed(platform) -> None:
    """Something for the search service to index, so that it has an index lag to show."""
    office = f"office-{uuid.uuid4().hex[:10]}"
    headers = {"Authorization": f"Bearer {staff_token(office)}"}
    created = httpx.post(
        f"{platform.urls['customer']}/v1/customers", json={"name": "Fjordlys Data AS"}, headers=headers
    )
    assert created.status_code == 201, created.text
    for _ in range(100):
        if "search_index_lag_seconds{" in httpx.get(f"{platform.urls['search']}/metrics").text:
            return
        time.sleep(0.1)
    raise AssertionError("the search service indexed nothing")


def test_status_shows_each_running_service_and_names_the_missing_portal_in_one_line(crm_platform):
    a_customer_is_indexed(crm_platform)
    portal_url = f"http://127.0.0.1:{free_port()}"
    result = status(crm_platform, "--portal-url", portal_url)

    assert result.exit_code == 1
    for service in ("customer", "contact", "activity", "search"):
        _, health, outbox, lag, dead, index_lag = row(result.stdout, service)
        assert health == "ready"
        # Only the publishers have an outbox; every one of them consumes.
        assert outbox.isdigit() if service != "search" else outbox == "-"
        assert lag.isdigit()
        assert dead.isdigit()
        if service == "search":
            assert re.fullmatch(r"\d+\.\d s \(newest event \d+ s old\)", index_lag), index_lag
        else:
            assert index_lag == "-"
    assert row(result.stdout, "portal")[1] == "down"
    # The portal consumes: its dead-letter queue is counted at RabbitMQ although it is down.
    assert row(result.stdout, "portal")[4] == "0"
    assert result.stderr.splitlines() == [
        f"the portal service at {portal_url} is down: ConnectError: All connection attempts failed"
    ]
    assert "Traceback" not in result.output


def test_status_names_a_stopped_service_and_exits_0_when_all_asked_for_run(crm_platform):
    stopped = f"http://127.0.0.1:{free_port()}"
    result = status(crm_platform, "-s", "customer", "-s", "search", "--search-url", stopped)
    assert result.exit_code == 1
    assert row(result.stdout, "customer")[1] == "ready"
    assert row(result.stdout, "search")[1] == "down"
    assert result.stderr.splitlines() == [
        f"the search service at {stopped} is down: ConnectError: All connection attempts failed"
    ]

    result = status(crm_platform, *("-s", "customer", "-s", "contact", "-s", "activity", "-s", "search"))
    assert result.exit_code == 0, result.output
    assert "portal" not in result.stdout


def test_status_names_an_unreachable_broker_in_one_line(crm_platform):
    result = status(
        crm_platform, "-s", "customer", "--amqp-url", f"amqp://guest:secret@127.0.0.1:{free_port()}/"
    )
    assert result.exit_code == 0
    assert row(result.stdout, "customer")[1] == "ready"
    [line] = result.stderr.splitlines()
    assert line.startswith("RabbitMQ at amqp://guest:***@127.0.0.1:")
    assert "secret" not in result.output
