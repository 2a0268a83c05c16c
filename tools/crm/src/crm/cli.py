"""`crm`: the workspace's command line for developers."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Annotated, Any

import httpx
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from contracts import export
from contracts.routing import DEFAULT_EXCHANGE
from crm import transfer
from servicekit.auth import ROLES, issue_service_token, issue_token
from servicekit.settings import JwtSettings

app = typer.Typer(help="Developer commands of the customer platform.", no_args_is_help=True)
contracts_app = typer.Typer(help="The event contracts' published files.", no_args_is_help=True)
events_app = typer.Typer(help="Look at the event bus.", no_args_is_help=True)
app.add_typer(contracts_app, name="contracts")
app.add_typer(events_app, name="events")
console = Console(stderr=True)


def _add_operator_commands() -> None:
    # The operator's commands live in their own modules (`crm seed`, `crm status`, `crm dlq ...`).
    from crm import dlq, seed, status

    app.add_typer(dlq.app, name="dlq")
    app.command()(seed.seed)
    app.command()(status.status)


_add_operator_commands()


@app.command()
def token(
    office: Annotated[str | None, typer.Option(help="Office (tenant) id the user belongs to.")] = None,
    role: Annotated[str, typer.Option(help=f"One of: {', '.join(ROLES)}.")] = "office_admin",
    subject: Annotated[str, typer.Option(help="User id (sub).")] = "dev-user",
    name: Annotated[str, typer.Option(help="Display name.")] = "Developer",
    service: Annotated[
        str | None, typer.Option(help="Issue a service token for this service instead.")
    ] = None,
    hours: Annotated[int, typer.Option(min=1, max=24 * 30, help="Validity in hours.")] = 8,
) -> None:
    """Print a development JWT signed with JWT_SECRET (the services' development default if unset)."""
    settings = JwtSettings()
    if service is not None:
        jwt = issue_service_token(settings, service, ttl_seconds=hours * 3600)
    else:
        if office is None:
            raise typer.BadParameter(
                "give --office (or --service for a service token)", param_hint="--office"
            )
        if role not in ROLES:
            raise typer.BadParameter(f"must be one of {', '.join(ROLES)}", param_hint="--role")
        jwt = issue_token(
            settings, subject=subject, office_id=office, roles=[role], name=name, ttl_seconds=hours * 3600
        )
    typer.echo(jwt)


@app.command()
def reindex(
    url: Annotated[str, typer.Option(help="The search service's base URL.")] = "http://127.0.0.1:8004",
    office: Annotated[str, typer.Option(help="The office whose admin asks for the rebuild.")] = "office-1",
    every: Annotated[float, typer.Option(min=0.05, help="Seconds between progress reads.")] = 0.5,
) -> None:
    """Rebuild the search index without downtime: a new index is filled from the customer and contact
    services while events keep flowing, then the alias moves to it and the old one is deleted."""
    jwt = issue_token(
        JwtSettings(), subject="dev-user", office_id=office, roles=["office_admin"], name="Developer"
    )
    try:
        with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {jwt}"}, timeout=30.0) as client:
            outcome = follow_rebuild(client, every)
    except httpx.HTTPError as exc:
        console.print(
            f"[red]the search service at {url} did not answer:[/red] {type(exc).__name__}: {exc}",
            soft_wrap=True,
        )
        raise typer.Exit(1) from None
    except RebuildRefused as exc:
        console.print(f"[red]the search service at {url} refused the rebuild:[/red] {exc}", soft_wrap=True)
        raise typer.Exit(1) from None
    if outcome["state"] != "done":
        console.print(
            f"[red]the rebuild {outcome['state']}:[/red] {outcome.get('error') or ''}", soft_wrap=True
        )
        raise typer.Exit(1)
    console.print(f"rebuilt the search index: {outcome['written']} customer documents")


class RebuildRefused(Exception):
    """The search service answered the rebuild with an error (its problem's title and detail)."""


def _answer(response: httpx.Response, *expected: int) -> dict[str, Any]:
    if response.status_code not in expected:
        try:
            problem = response.json()
            text = f"{response.status_code} {problem.get('title', '')}: {problem.get('detail', '')}"
        except ValueError:
            text = f"{response.status_code} {response.text[:200]}"
        raise RebuildRefused(text.strip())
    body: dict[str, Any] = response.json()
    return body


def follow_rebuild(client: httpx.Client, every: float) -> dict[str, Any]:
    """Start a rebuild and show its progress until it ends; its last state."""
    state = _answer(client.post("/v1/search/rebuild"), 202)
    with Progress(
        TextColumn("rebuilding the search index"), BarColumn(), MofNCompleteColumn(), console=console
    ) as bar:
        task = bar.add_task("rebuild", total=max(state["total"], 1))
        while state["state"] == "running":
            bar.update(task, completed=state["written"], total=max(state["total"], state["written"], 1))
            time.sleep(every)
            state = _answer(client.get("/v1/search/rebuild"), 200)
        bar.update(task, completed=state["written"], total=max(state["total"], state["written"], 1))
    return state


@contracts_app.command("export")
def contracts_export(
    check: Annotated[
        bool, typer.Option("--check", help="Only report outdated files; exit 1 if any.")
    ] = False,
) -> None:
    """Write the JSON Schemas of every event and the AsyncAPI document into libs/contracts/."""
    if check:
        outdated = export.outdated_files()
        for name in outdated:
            console.print(f"[red]outdated:[/red] libs/contracts/{name}")
        raise typer.Exit(1 if outdated else 0)
    changed = export.write_generated_files()
    for name in changed:
        console.print(f"wrote libs/contracts/{name}")
    if not changed:
        console.print("contracts are up to date")


@events_app.command("watch")
def events_watch(
    amqp_url: Annotated[str, typer.Option(envvar="AMQP_URL")] = "amqp://guest:guest@127.0.0.1:5672/",
    exchange: Annotated[str, typer.Option(envvar="BUS_EXCHANGE")] = DEFAULT_EXCHANGE,
    pattern: Annotated[str, typer.Option(help="Routing-key pattern, e.g. customer.*")] = "#",
    count: Annotated[int, typer.Option(help="Stop after this many events (0: run until Ctrl-C).")] = 0,
) -> None:
    """Print every event published on the bus from now on, one JSON object a line."""
    asyncio.run(_watch(amqp_url, exchange, pattern, count))


async def _watch(amqp_url: str, exchange_name: str, pattern: str, count: int) -> None:
    import aio_pika

    connection = await aio_pika.connect(amqp_url)
    async with connection:
        channel = await connection.channel()
        exchange = await channel.declare_exchange(exchange_name, aio_pika.ExchangeType.TOPIC, durable=True)
        queue = await channel.declare_queue(exclusive=True, auto_delete=True)
        await queue.bind(exchange, routing_key=pattern)
        console.print(f"watching {exchange_name} for {pattern} (Ctrl-C to stop)")
        seen = 0
        async with queue.iterator(no_ack=True) as messages:
            async for message in messages:
                typer.echo(json.dumps(json.loads(message.body), ensure_ascii=False))
                seen += 1
                if count and seen >= count:
                    return


transfer.register(app)  # crm import, crm export
