"""`crm dlq list|show|replay|purge`: the events each consuming service dead-lettered.

The queues are the kit's (`Topology.dead_letter_queue_name`), one per service in
`contracts.routing.SUBSCRIPTIONS`; the work is `servicekit.dead_letters`'. Replay puts an event back on
its own service's queue only, and the service's inbox makes a second replay harmless.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, TypeVar

import aio_pika
import typer
from aio_pika.abc import AbstractConnection
from rich.table import Table

from contracts.routing import DEFAULT_EXCHANGE, SUBSCRIPTIONS
from crm.reach import console, give_up, output, without_password
from servicekit import dead_letters
from servicekit.bus import Topology

app = typer.Typer(help="Dead-lettered events of each consuming service.", no_args_is_help=True)

AmqpUrl = Annotated[str, typer.Option(envvar="AMQP_URL", help="RabbitMQ.")]
Exchange = Annotated[str, typer.Option(envvar="BUS_EXCHANGE", help="The services' exchange.")]
Services = Annotated[
    list[str] | None,
    typer.Option("--service", "-s", help=f"Only this service (repeatable): {', '.join(SUBSCRIPTIONS)}."),
]
EventIds = Annotated[list[str] | None, typer.Option("--id", help="Only this event id (repeatable).")]
DEFAULT_AMQP = "amqp://guest:guest@127.0.0.1:5672/"

T = TypeVar("T")


def _services(chosen: list[str] | None) -> list[str]:
    for name in chosen or []:
        if name not in SUBSCRIPTIONS:
            raise typer.BadParameter(f"must be one of {', '.join(SUBSCRIPTIONS)}", param_hint="--service")
    return list(chosen or SUBSCRIPTIONS)


def _run(amqp_url: str, work: Callable[[AbstractConnection], Awaitable[T]]) -> T:
    """Run `work` on a connection to the broker; an unreachable broker is one line, not a traceback."""

    async def connected() -> T:
        try:
            connection = await aio_pika.connect(amqp_url, timeout=5)
        except Exception as exc:
            give_up(f"RabbitMQ at {without_password(amqp_url)} is not reachable: {type(exc).__name__}: {exc}")
        try:
            async with connection:
                return await work(connection)
        except (aio_pika.exceptions.AMQPError, ConnectionError, OSError) as exc:
            give_up(f"RabbitMQ at {without_password(amqp_url)} failed: {type(exc).__name__}: {exc}")

    return asyncio.run(connected())


async def _exists(connection: AbstractConnection, topology: Topology, service: str) -> int | None:
    """Messages in the service's dead-letter queue, None when the queue was never declared."""
    try:
        async with connection.channel() as channel:
            return await dead_letters.dead_letter_count(channel, topology, service)
    except aio_pika.exceptions.ChannelClosed:
        return None


@app.command("list")
def list_(
    service: Services = None,
    first: Annotated[int, typer.Option(min=0, max=100, help="Events shown per queue.")] = 5,
    amqp_url: AmqpUrl = DEFAULT_AMQP,
    exchange: Exchange = DEFAULT_EXCHANGE,
) -> None:
    """How many events each service's dead-letter queue holds, and the first few of them."""
    topology, names = Topology(exchange), _services(service)

    async def gather(connection: AbstractConnection) -> list[tuple[str, int | None, list[Any]]]:
        rows = []
        for name in names:
            count = await _exists(connection, topology, name)
            letters = await dead_letters.peek(connection, topology, name, first) if count else []
            rows.append((name, count, letters))
        return rows

    table = Table(title=f"dead letters on {exchange}")
    for column in ("service", "queue", "events", f"first {first}"):
        table.add_column(column)
    for name, count, letters in _run(amqp_url, gather):
        shown = "\n".join(f"{letter.event_type or '?'} {letter.event_id or '?'}" for letter in letters)
        table.add_row(
            name,
            topology.dead_letter_queue_name(name),
            "not declared" if count is None else str(count),
            shown or "-",
        )
    output().print(table)


@app.command()
def show(
    event_id: Annotated[str, typer.Argument(help="The event's id (as `crm dlq list` shows it).")],
    service: Services = None,
    amqp_url: AmqpUrl = DEFAULT_AMQP,
    exchange: Exchange = DEFAULT_EXCHANGE,
) -> None:
    """One dead-lettered event: why it was dead-lettered, its tries, its headers and its envelope."""
    topology, names = Topology(exchange), _services(service)

    async def find(connection: AbstractConnection) -> list[tuple[str, dead_letters.DeadLetter]]:
        found = []
        for name in names:
            count = await _exists(connection, topology, name)
            if count:
                letters = await dead_letters.peek(connection, topology, name, count)
                found += [(name, letter) for letter in letters if letter.event_id == event_id]
        return found

    found = _run(amqp_url, find)
    if not found:
        give_up(f"no dead-lettered event {event_id} in {', '.join(names)}")
    for name, letter in found:
        table = Table(show_header=False, title=f"event {event_id} in {topology.dead_letter_queue_name(name)}")
        table.add_row("service", name)
        table.add_row("type", letter.event_type or "?")
        table.add_row("office", letter.office_id or "?")
        table.add_row("tries", "?" if letter.attempts is None else str(letter.attempts))
        table.add_row("reason", letter.reason)
        for key, value in sorted(letter.headers.items()):
            table.add_row(f"header {key}", str(value))
        output().print(table)
        envelope = letter.envelope
        if envelope is None:
            output().print(f"body (not JSON): {letter.body[:2000]!r}")
        else:
            typer.echo(json.dumps(envelope, ensure_ascii=False, indent=2))


@app.command()
def replay(
    service: Services = None,
    event_id: EventIds = None,
    amqp_url: AmqpUrl = DEFAULT_AMQP,
    exchange: Exchange = DEFAULT_EXCHANGE,
) -> None:
    """Put dead-lettered events back on their service's queue (all, or those named by --id).

    The consumer applies each once (its inbox), with every retry again."""
    _move(dead_letters.replay, "replayed", service, event_id, amqp_url, exchange)


@app.command()
def purge(
    service: Services = None,
    event_id: EventIds = None,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
    amqp_url: AmqpUrl = DEFAULT_AMQP,
    exchange: Exchange = DEFAULT_EXCHANGE,
) -> None:
    """Delete dead-lettered events for good (all of them, or those named by --id), after confirmation."""
    names = _services(service)
    which = f"events {', '.join(event_id)}" if event_id else "every dead-lettered event"
    if not yes and not typer.confirm(f"Delete {which} of {', '.join(names)} for good?"):
        give_up("nothing deleted")
    _move(dead_letters.purge, "deleted", names, event_id, amqp_url, exchange)


Mover = Callable[..., Awaitable[list[dead_letters.DeadLetter]]]


def _move(
    mover: Mover,
    done: str,
    service: list[str] | None,
    event_id: list[str] | None,
    amqp_url: str,
    exchange: str,
) -> None:
    topology, names = Topology(exchange), _services(service)

    async def move(connection: AbstractConnection) -> list[tuple[str, int]]:
        counts = []
        for name in names:
            if await _exists(connection, topology, name):
                try:
                    moved = await mover(connection, topology, name, dead_letters.with_ids(event_id))
                except aio_pika.exceptions.DeliveryError:
                    give_up(f"the {name} service's queue {topology.queue_name(name)} refused the events")
                counts.append((name, len(moved)))
            else:
                counts.append((name, 0))
        return counts

    with console.status(f"going through the dead letters of {', '.join(names)}"):
        counts = _run(amqp_url, move)
    table = Table(title=f"{done} events")
    table.add_column("service")
    table.add_column(done, justify="right")
    for name, count in counts:
        table.add_row(name, str(count))
    output().print(table)
    if event_id and sum(count for _, count in counts) < len(set(event_id)):
        give_up(f"not every event named was found ({sum(c for _, c in counts)} of {len(set(event_id))})")
