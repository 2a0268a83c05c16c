"""Customer, contact and activity services as real processes on one bus, started as `scripts/up.sh`
starts them: a customer's contacts and activities are added the moment it exists (before its event has
reached the others), an address names a contact, a deleted contact leaves the addresses and activities
that named it, and the customer's deletion takes everything of it along, each with its event."""

from __future__ import annotations

from typing import Any

import httpx

from servicekit.testing.consumers import eventually

SERVICES = ("customer", "contact", "activity")
"""The services this test talks to (the platform fixture runs them all)."""


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
    for service in SERVICES:  # each ready, and reporting its queue and its outbox
        url = platform[service]
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
    await eventually(
        lambda: answers(activity_api, f"/v1/activities/{call_id}", contact_ids=[ola_id]), within=30
    )
    await eventually(lambda: has_no_address_contact(customer_api, customer_id), within=30)

    # The customer's deletion takes its contacts and activities with it.
    assert (await customer_api.delete(f"/v1/customers/{customer_id}")).status_code == 204
    await eventually(lambda: is_gone(contact_api, f"/v1/contacts/{ola_id}"), within=30)
    await eventually(lambda: is_gone(activity_api, f"/v1/activities/{call_id}"), within=30)
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
