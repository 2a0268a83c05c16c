"""`crm dlq list|show|replay|purge` against a real dead-lettered event in the contact service's
dead-letter queue: a `customer.created` the contact service has not applied, with the headers the kit's
consumer writes. Replayed, the contact service applies it once."""

from __future__ import annotations

import asyncio
import json
import uuid

import aio_pika
import asyncpg
import httpx
from typer.testing import CliRunner

from crm import cli
from crm.reach import staff_token

runner = CliRunner()


def dlq(platform, *args: str, input: str | None = None):
    return runner.invoke(
        cli.app,
        ["dlq", *args, "--exchange", platform.topology.exchange, "--amqp-url", platform.amqp_url],
        env={"COLUMNS": "200"},
        input=input,
    )


async def a_customer_created_event(platform, office: str) -> dict:
    """A real `customer.created` of the customer service (caught on the bus), made into the event of a
    customer that exists nowhere: only the event can bring it to the contact service."""
    connection = await aio_pika.connect(platform.amqp_url)
    async with connection:
        channel = await connection.channel()
        exchange = await channel.get_exchange(platform.topology.exchange)
        queue = await channel.declare_queue(exclusive=True)
        await queue.bind(exchange, "customer.created")
        async with httpx.AsyncClient(headers={"Authorization": f"Bearer {staff_token(office)}"}) as client:
            answer = await client.post(
                f"{platform.urls['customer']}/v1/customers", json={"name": "Vestvik Bygg AS", "country": "NO"}
            )
            assert answer.status_code == 201, answer.text
        async with queue.iterator() as messages:
            async for message in messages:
                await message.ack()
                event = json.loads(message.body)
                if event["office_id"] == office:
                    break
    new_id = str(uuid.uuid4())
    event.update(id=str(uuid.uuid4()), aggregate_id=new_id)
    event["payload"]["customer"].update(id=new_id, name="Only In The Event AS")
    return event


async def dead_letter(platform, event: dict) -> None:
    connection = await aio_pika.connect(platform.amqp_url)
    async with connection:
        channel = await connection.channel()
        await channel.default_exchange.publish(
            aio_pika.Message(
                json.dumps(event).encode(),
                headers={"x-attempt": 2, "x-last-error": "RuntimeError: the database said no"},
                message_id=event["id"],
                type=event["type"],
            ),
            routing_key=platform.topology.dead_letter_queue_name("contact"),
        )


async def inbox_rows(platform, event_id: str) -> int:
    connection = await asyncpg.connect(platform.databases["contact"])
    try:
        return await connection.fetchval(
            "SELECT count(*) FROM inbox WHERE event_id = $1", uuid.UUID(event_id)
        )
    finally:
        await connection.close()


def contacts_of(platform, office: str, customer_id: str) -> int:
    headers = {"Authorization": f"Bearer {staff_token(office)}"}
    answer = httpx.get(
        f"{platform.urls['contact']}/v1/contacts", params={"customer_id": customer_id}, headers=headers
    )
    return answer.status_code


def test_a_dead_lettered_event_is_listed_shown_replayed_once_and_purged(crm_platform):
    office = f"office-{uuid.uuid4().hex[:10]}"
    event = asyncio.run(a_customer_created_event(crm_platform, office))
    asyncio.run(dead_letter(crm_platform, event))
    customer_id = event["aggregate_id"]
    # The contact service knows nothing of this customer (the customer service has none either).
    assert contacts_of(crm_platform, office, customer_id) == 404

    listed = dlq(crm_platform, "list")
    assert listed.exit_code == 0, listed.output
    contact_row = next(line for line in listed.stdout.splitlines() if line.startswith("│ contact "))
    assert f"{crm_platform.topology.exchange}.contact.dlq" in contact_row
    assert "│ 1 " in contact_row
    assert f"customer.created {event['id']}" in contact_row

    shown = dlq(crm_platform, "show", event["id"])
    assert shown.exit_code == 0, shown.output
    assert "RuntimeError: the database said no" in shown.stdout
    assert json.loads(shown.stdout[shown.stdout.index("{") :]) == event

    replayed = dlq(crm_platform, "replay", "--service", "contact", "--id", event["id"])
    assert replayed.exit_code == 0, replayed.output
    assert (
        next(line for line in replayed.stdout.splitlines() if "contact" in line).split("│")[2].strip() == "1"
    )

    async def applied() -> None:
        for _ in range(100):
            if await inbox_rows(crm_platform, event["id"]):
                return
            await asyncio.sleep(0.1)
        raise AssertionError("the replayed event was not applied")

    asyncio.run(applied())
    assert contacts_of(crm_platform, office, customer_id) == 200  # the contact service has the customer now
    assert "│ 0 " in next(
        line for line in dlq(crm_platform, "list").stdout.splitlines() if "│ contact " in line
    )

    # Replayed a second time, it is applied still once.
    asyncio.run(dead_letter(crm_platform, event))
    assert dlq(crm_platform, "replay", "-s", "contact").exit_code == 0
    asyncio.run(asyncio.sleep(1.0))
    assert asyncio.run(inbox_rows(crm_platform, event["id"])) == 1

    # Purge asks first; no keeps it, --yes deletes it.
    asyncio.run(dead_letter(crm_platform, event))
    kept = dlq(crm_platform, "purge", "-s", "contact", input="n\n")
    assert kept.exit_code == 1
    assert "nothing deleted" in kept.stderr
    assert "│ 1 " in next(
        line for line in dlq(crm_platform, "list").stdout.splitlines() if "│ contact " in line
    )
    purged = dlq(crm_platform, "purge", "-s", "contact", "--yes")
    assert purged.exit_code == 0, purged.output
    assert "│ 0 " in next(
        line for line in dlq(crm_platform, "list").stdout.splitlines() if "│ contact " in line
    )


def test_dlq_names_an_unknown_event_and_an_unreachable_broker_in_one_line(crm_platform):
    unknown = dlq(crm_platform, "show", "no-such-event", "-s", "contact")
    assert unknown.exit_code == 1
    assert unknown.stderr.strip() == "no dead-lettered event no-such-event in contact"
    down = runner.invoke(cli.app, ["dlq", "list", "--amqp-url", "amqp://guest:guest@127.0.0.1:9/"])
    assert down.exit_code == 1
    [line] = down.stderr.splitlines()
    assert line.startswith("RabbitMQ at amqp://guest:***@127.0.0.1:9/ is not reachable")
