"""Customer, contact and activity services as real processes on one bus, started as `scripts/up.sh`
starts them: a customer's contacts and activities are added the moment it exists (before its event has
reached the others), an address names a contact, a deleted contact leaves the addresses and activities
that named it, and the customer's deletion takes everything of it along, each with its event."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from servicekit.testing.databases import create_database, drop_database, with_database
from servicekit.testing.processes import free_port, running_service

SERVICES = ("customer", "contact", "activity")


@pytest.fixture
async def platform(infra, topology, tmp_path: Path) -> AsyncIterator[dict[str, str]]:
    ports = {service: free_port() for service in SERVICES}
    databases = {service: await create_database(infra.pg_admin_url, f"e2e_{service}") for service in SERVICES}
    common = {
        "AMQP_URL": infra.amqp_url,
        "BUS_EXCHANGE": topology.exchange,
        "BUS_QUEUE_TYPE": topology.queue_type,
        "MIGRATE_ON_START": "true",
        "ENVIRONMENT": "test",
        "OUTBOX_POLL_INTERVAL_S": "0.5",
        "CUSTOMER_SERVICE_URL": f"http://127.0.0.1:{ports['customer']}",
        "CONTACT_SERVICE_URL": f"http://127.0.0.1:{ports['contact']}",
    }
    try:
        with contextlib.ExitStack() as stack:
            urls = {
                service: stack.enter_context(
                    running_service(
                        [f"{service}-service", "serve"],
                        {
                            **common,
                            "DATABASE_URL": with_database(
                                infra.pg_admin_url, databases[service], driver="asyncpg"
                            ),
                        },
                        ports[service],
                        tmp_path / f"{service}.log",
                    )
                )
                for service in SERVICES
            }
            yield urls
    finally:
        for name in databases.values():
            await drop_database(infra.pg_admin_url, name)


async def eventually(check: Callable[[], Awaitable[Any]], within: float = 30.0) -> Any:
    deadline = time.monotonic() + within
    while True:
        result = await check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"not true within {within}s")
        await asyncio.sleep(0.2)


async def answers(client: httpx.AsyncClient, path: str, **expected: Any) -> bool:
    body = (await client.get(path)).json()
    return all(body.get(name) == value for name, value in expected.items())


async def has_no_address_contact(customer_api: httpx.AsyncClient, customer_id: str) -> bool:
    customer = (await customer_api.get(f"/v1/customers/{customer_id}")).json()
    return customer["addresses"][0]["contact_id"] is None


async def is_gone(client: httpx.AsyncClient, path: str) -> bool:
    return (await client.get(path)).status_code == 404


async def test_a_customers_contacts_and_activities_follow_it_from_creation_to_deletion(
    platform, make_token, bus_listener, topology
):
    for service, url in platform.items():  # each ready, and reporting its queue and its outbox
        async with httpx.AsyncClient(base_url=url) as probe:
            assert (await probe.get("/readyz")).json()["status"] == "ready"
            metrics = (await probe.get("/metrics")).text
        queue = topology.queue_name(service)
        assert f'consumer_lag_messages{{queue="{queue}",service="{service}"}}' in metrics
        assert f'dead_letter_queue_messages{{queue="{queue}.dlq",service="{service}"}}' in metrics
        assert f'outbox_backlog{{service="{service}"}}' in metrics

    headers = {"Authorization": f"Bearer {make_token('office_admin')}"}
    customer_api, contact_api, activity_api = (
        httpx.AsyncClient(base_url=platform[service], headers=headers, timeout=10) for service in SERVICES
    )
    customer = await customer_api.post(
        "/v1/customers", json={"name": "Fjordkraft Service AS", "country": "NO"}
    )
    assert customer.status_code == 201, customer.text
    customer_id = customer.json()["id"]

    # At once, before the customer.created event need have reached the contact service.
    kari = await contact_api.post(
        "/v1/contacts",
        json={
            "customer_id": customer_id,
            "first_name": "Kari",
            "last_name": "Nordmann",
            "phone": "412 34 567",
        },
    )
    assert kari.status_code == 201, kari.text
    assert kari.json()["phone"] == "+4741234567"
    ola = await contact_api.post(
        "/v1/contacts",
        json={"customer_id": customer_id, "first_name": "Ola", "last_name": "Hansen", "main": True},
    )
    assert ola.status_code == 201, ola.text
    kari_id, ola_id = kari.json()["id"], ola.json()["id"]

    call = await activity_api.post(
        "/v1/activities",
        json={
            "customer_id": customer_id,
            "kind": "call",
            "subject": "Service agreement renewal",
            "contact_ids": [kari_id, ola_id],
        },
    )
    assert call.status_code == 201, call.text
    task = await activity_api.post(
        "/v1/activities",
        json={
            "customer_id": customer_id,
            "kind": "task",
            "subject": "Send the offer",
            "contact_ids": [ola_id],
        },
    )
    assert task.status_code == 201, task.text
    call_id, task_id = call.json()["id"], task.json()["id"]

    address = await customer_api.post(
        f"/v1/customers/{customer_id}/addresses",
        json={"kind": "invoice", "city": "Bergen", "contact_id": kari_id},
    )
    assert address.status_code == 201, address.text

    # A deleted contact leaves the address and the activities that named it; they stay.
    assert (await contact_api.delete(f"/v1/contacts/{kari_id}")).status_code == 204
    await eventually(lambda: answers(activity_api, f"/v1/activities/{call_id}", contact_ids=[ola_id]))
    await eventually(lambda: has_no_address_contact(customer_api, customer_id))

    # The customer's deletion takes its contacts and activities with it.
    assert (await customer_api.delete(f"/v1/customers/{customer_id}")).status_code == 204
    await eventually(lambda: is_gone(contact_api, f"/v1/contacts/{ola_id}"))
    await eventually(lambda: is_gone(activity_api, f"/v1/activities/{call_id}"))
    assert (await activity_api.get(f"/v1/activities/{task_id}")).status_code == 404
    refused = await contact_api.post(
        "/v1/contacts", json={"customer_id": customer_id, "first_name": "Per", "last_name": "Berg"}
    )
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "customer_id"

    # Each deletion left with its own event, caused by the customer's.
    [customer_deleted] = await bus_listener.wait_for(1, "customer.deleted")
    await bus_listener.wait_for(2, "activity.deleted")
    cascaded = [e for e in bus_listener.received if e["causation_id"] == customer_deleted["id"]]
    assert sorted(e["type"] for e in cascaded) == ["activity.deleted", "activity.deleted", "contact.deleted"]
