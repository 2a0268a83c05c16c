"""`crm status`: one table of every service's health, outbox backlog, consumer lag and dead letters; a
service that is down is named in one line."""

from __future__ import annotations

from typer.testing import CliRunner

from crm import cli
from servicekit.testing.processes import free_port

runner = CliRunner()


def status(platform, *extra: str):
    return runner.invoke(
        cli.app,
        [
            "status",
            *("--customer-url", platform.urls["customer"], "--contact-url", platform.urls["contact"]),
            *("--activity-url", platform.urls["activity"], "--exchange", platform.topology.exchange),
            *("--amqp-url", platform.amqp_url),
            *extra,
        ],
        env={"COLUMNS": "200"},
    )


def row(output: str, service: str) -> list[str]:
    line = next(line for line in output.splitlines() if line.startswith(f"│ {service} "))
    return [cell.strip() for cell in line.strip("│ ").split("│")]


def test_status_shows_each_running_service_and_names_the_stopped_ones(crm_platform):
    search_url, portal_url = f"http://127.0.0.1:{free_port()}", f"http://127.0.0.1:{free_port()}"
    result = status(crm_platform, "--search-url", search_url, "--portal-url", portal_url)

    assert result.exit_code == 1
    # service, health, outbox backlog, consumer lag, dead letters, index lag
    for service in ("customer", "contact", "activity"):
        _, health, outbox, lag, dead, index_lag = row(result.stdout, service)
        assert health == "ready"
        assert outbox.isdigit()
        assert lag.isdigit()
        assert dead.isdigit()
        assert index_lag == "-"
    assert row(result.stdout, "search")[1] == "down"
    assert row(result.stdout, "portal")[1] == "down"
    # Both consume: their dead-letter queues are counted at RabbitMQ although they are down.
    assert row(result.stdout, "search")[4] == "0"
    assert result.stderr.splitlines() == [
        f"the search service at {search_url} is down: ConnectError: All connection attempts failed",
        f"the portal service at {portal_url} is down: ConnectError: All connection attempts failed",
    ]
    assert "Traceback" not in result.output


def test_status_of_running_services_only_exits_0(crm_platform):
    result = status(crm_platform, *("-s", "customer", "-s", "contact", "-s", "activity"))
    assert result.exit_code == 0, result.output
    assert "search" not in result.stdout


def test_status_names_an_unreachable_broker_in_one_line(crm_platform):
    result = status(
        crm_platform, "-s", "customer", "--amqp-url", f"amqp://guest:secret@127.0.0.1:{free_port()}/"
    )
    assert result.exit_code == 0
    assert row(result.stdout, "customer")[1] == "ready"
    [line] = result.stderr.splitlines()
    assert line.startswith("RabbitMQ at amqp://guest:***@127.0.0.1:")
    assert "secret" not in result.output
