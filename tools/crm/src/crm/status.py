"""`crm status`: every service's health, outbox backlog, consumer lag, dead letters and index lag, as one
table.

What a service says about itself comes from its `/healthz`, `/readyz` and `/metrics` (the kit's gauges
`outbox_backlog`, `consumer_lag_messages`, `dead_letter_queue_messages`, read when scraped, and the search
service's `search_index_*`). The dead-letter queues are also counted at RabbitMQ itself, so a service that
is down still shows what waits for it.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Annotated

import aio_pika
import httpx
import typer
from prometheus_client.parser import text_string_to_metric_families
from rich.table import Table

from contracts.routing import DEFAULT_EXCHANGE, SUBSCRIPTIONS
from crm.reach import (
    SERVICE_URLS,
    ActivityUrl,
    ContactUrl,
    CustomerUrl,
    PortalUrl,
    SearchUrl,
    console,
    output,
    without_password,
)
from servicekit import dead_letters
from servicekit.bus import Topology

_TIMEOUT_S = 3.0


@dataclass
class ServiceStatus:
    name: str
    url: str
    down: str | None = None
    """Why it could not be reached; None when it answered."""
    ready: str = "?"
    metrics: dict[str, float] = field(default_factory=dict)
    dead_letters: int | None = None


def read_metrics(text: str, service: str) -> dict[str, float]:
    """The service's own samples by metric name (summed over queues), from a Prometheus text page."""
    values: dict[str, float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.labels.get("service", service) == service:
                values[sample.name] = values.get(sample.name, 0.0) + sample.value
    return values


async def probe(client: httpx.AsyncClient, name: str, url: str) -> ServiceStatus:
    status = ServiceStatus(name, url)
    try:
        health = await client.get(f"{url}/healthz")
        if health.status_code != 200:
            status.down = f"/healthz answered {health.status_code}"
            return status
        ready = await client.get(f"{url}/readyz")
        status.ready = "ready" if ready.status_code == 200 else "not ready: " + _failing_checks(ready)
        scraped = await client.get(f"{url}/metrics")
        if scraped.status_code == 200:
            status.metrics = read_metrics(scraped.text, name)
    except httpx.HTTPError as exc:
        status.down = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    return status


def _failing_checks(ready: httpx.Response) -> str:
    """What /readyz says is unreachable (its `checks`), or its status when it says nothing readable."""
    try:
        checks = ready.json().get("checks", {})
        failing = [f"{check}: {value}" for check, value in checks.items() if value != "ok"]
    except (ValueError, AttributeError):
        failing = []
    return "; ".join(failing) or f"/readyz answered {ready.status_code}"


async def count_dead_letters(amqp_url: str, topology: Topology, services: Sequence[str]) -> dict[str, int]:
    """Messages in each consuming service's dead-letter queue (a queue never declared is left out)."""
    counts: dict[str, int] = {}
    connection = await aio_pika.connect(amqp_url, timeout=_TIMEOUT_S)
    async with connection:
        for service in services:
            try:
                async with connection.channel() as channel:
                    counts[service] = await dead_letters.dead_letter_count(channel, topology, service)
            except aio_pika.exceptions.ChannelClosed:
                continue
    return counts


async def gather(
    urls: dict[str, str], amqp_url: str, exchange: str
) -> tuple[list[ServiceStatus], str | None]:
    """Every service's status, and why RabbitMQ could not be asked (None when it could)."""
    async with httpx.AsyncClient(timeout=_TIMEOUT_S) as client:
        statuses = list(await asyncio.gather(*(probe(client, name, url) for name, url in urls.items())))
    broker_problem = None
    consuming = [name for name in urls if name in SUBSCRIPTIONS]
    try:
        counts = await count_dead_letters(amqp_url, Topology(exchange), consuming)
    except Exception as exc:
        counts, broker_problem = {}, f"{type(exc).__name__}: {exc}"
    for status in statuses:
        status.dead_letters = counts.get(status.name)
    return statuses, broker_problem


def _number(metrics: dict[str, float], name: str) -> str:
    return f"{metrics[name]:.0f}" if name in metrics else "-"


def _index_lag(metrics: dict[str, float], now: float) -> str:
    if "search_index_lag_seconds" not in metrics:
        return "-"
    text = f"{metrics['search_index_lag_seconds']:.1f} s"
    newest = metrics.get("search_index_newest_event_timestamp_seconds", 0.0)
    if newest > 0:
        text += f" (newest event {max(0.0, now - newest):.0f} s old)"
    return text


def status(
    service: Annotated[
        list[str] | None,
        typer.Option("--service", "-s", help=f"Only this service (repeatable): {', '.join(SERVICE_URLS)}."),
    ] = None,
    customer_url: CustomerUrl = SERVICE_URLS["customer"],
    contact_url: ContactUrl = SERVICE_URLS["contact"],
    activity_url: ActivityUrl = SERVICE_URLS["activity"],
    search_url: SearchUrl = SERVICE_URLS["search"],
    portal_url: PortalUrl = SERVICE_URLS["portal"],
    amqp_url: Annotated[
        str, typer.Option(envvar="AMQP_URL", help="RabbitMQ, for the dead letters.")
    ] = "amqp://guest:guest@127.0.0.1:5672/",
    exchange: Annotated[
        str, typer.Option(envvar="BUS_EXCHANGE", help="The services' exchange.")
    ] = DEFAULT_EXCHANGE,
) -> None:
    """Each service's health, outbox backlog, consumer lag, dead letters and index lag, as one table.

    A service that is down is named on its own line. Exit 1 when one is down or not ready."""
    urls = {
        "customer": customer_url,
        "contact": contact_url,
        "activity": activity_url,
        "search": search_url,
        "portal": portal_url,
    }
    for name in service or []:
        if name not in urls:
            raise typer.BadParameter(f"must be one of {', '.join(urls)}", param_hint="--service")
    chosen = {name: url.rstrip("/") for name, url in urls.items() if not service or name in service}
    with console.status("asking the services"):
        statuses, broker_problem = asyncio.run(gather(chosen, amqp_url, exchange))
    now = time.time()
    table = Table(title="crm status")
    table.add_column("service", no_wrap=True)
    table.add_column("health", overflow="fold")
    for column in ("outbox", "consumer lag", "DLQ"):
        table.add_column(column, justify="right", no_wrap=True)
    table.add_column("index lag", overflow="fold")
    for entry in statuses:
        dead = entry.dead_letters
        if dead is None and "dead_letter_queue_messages" in entry.metrics:
            dead = int(entry.metrics["dead_letter_queue_messages"])
        health = (
            "[red]down[/red]"
            if entry.down
            else ("[green]ready[/green]" if entry.ready == "ready" else f"[yellow]{entry.ready}[/yellow]")
        )
        table.add_row(
            entry.name,
            health,
            _number(entry.metrics, "outbox_backlog"),
            _number(entry.metrics, "consumer_lag_messages"),
            "-" if dead is None else str(dead),
            _index_lag(entry.metrics, now),
        )
    output().print(table)
    for entry in statuses:
        if entry.down:
            console.print(
                f"[red]the {entry.name} service at {entry.url} is down:[/red] {entry.down}",
                soft_wrap=True,
                highlight=False,
            )
    if broker_problem:
        console.print(
            f"[red]RabbitMQ at {without_password(amqp_url)} is not reachable:[/red] {broker_problem}",
            soft_wrap=True,
            highlight=False,
        )
    if any(entry.down or entry.ready != "ready" for entry in statuses):
        raise typer.Exit(1)
