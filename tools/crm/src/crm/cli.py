"""`crm`: the workspace's command line for developers."""

from __future__ import annotations

import asyncio
import json
from typing import Annotated

import typer
from rich.console import Console

from contracts import export
from contracts.routing import DEFAULT_EXCHANGE
from servicekit.auth import ROLES, issue_service_token, issue_token
from servicekit.settings import JwtSettings

app = typer.Typer(help="Developer commands of the customer platform.", no_args_is_help=True)
contracts_app = typer.Typer(help="The event contracts' published files.", no_args_is_help=True)
events_app = typer.Typer(help="Look at the event bus.", no_args_is_help=True)
app.add_typer(contracts_app, name="contracts")
app.add_typer(events_app, name="events")
console = Console(stderr=True)


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
