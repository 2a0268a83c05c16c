"""The contact service follows customer.* events through its real consumer on RabbitMQ: a deleted customer
takes its contacts with it, each with its own contact.deleted, exactly once, whether the deletion is
delivered twice or overtakes older events of its customer; a stale event never undoes a newer one."""

from __future__ import annotations

import asyncio
import uuid

from contact_api_helpers import (
    auth,
    create_contact,
    create_customer,
    listed,
)
from contracts.customer import CustomerCreated, CustomerDeactivated, CustomerDeleted, CustomerUpdated
from servicekit.testing.consumers import eventually
from servicekit.testing.messages import publish, queue_counts, wait_until_delivered
from servicekit.testing.states import a_customer, event_of, published


async def _settled(infra, topology) -> None:
    """Every event published so far has been taken off the contact service's queue and applied."""
    await wait_until_delivered(infra.amqp_url, topology.queue_name("contact"), within=20)
    await asyncio.sleep(0.5)


async def _gone(api, token, url) -> bool:
    return (await api.get(url, headers=auth(token))).status_code == 404


async def test_deleting_a_customer_deletes_its_contacts_each_with_its_event(
    api, customer_api, make_token, bus_listener, infra, topology
):
    token = make_token("manager")
    customer = await create_customer(customer_api, token)
    other = await create_customer(customer_api, token, name="Blir Stående AS")
    contacts = [
        (await create_contact(api, token, customer["id"], first_name=name, main=name == "Kari")).json()
        for name in ("Kari", "Ola", "Per")
    ]
    await api.post(f"/v1/contacts/{contacts[2]['id']}/deactivate", headers=auth(token))
    kept = (await create_contact(api, token, other["id"])).json()

    deleted = await customer_api.delete(f"/v1/customers/{customer['id']}", headers=auth(token))
    assert deleted.status_code == 204

    events = await bus_listener.wait_for(3, "contact.deleted", within=20)
    [cause] = bus_listener.of_type("customer.deleted")
    assert sorted(e["aggregate_id"] for e in events) == sorted(c["id"] for c in contacts)
    for event in events:
        assert event["causation_id"] == cause["id"]
        assert event["correlation_id"] == cause["correlation_id"]
        assert event["payload"]["contact"]["customer_id"] == customer["id"]
        assert event["payload"]["contact"]["updated_by"] == cause["actor"]["id"]
    for contact in contacts:
        assert await _gone(api, token, f"/v1/contacts/{contact['id']}")
    assert [c["id"] for c in await listed(api, token, include_inactive="true")] == [kept["id"]]
    late = await api.post(
        "/v1/contacts",
        json={"customer_id": customer["id"], "first_name": "Sent", "last_name": "Kommer"},
        headers=auth(token),
    )
    assert late.status_code == 422
    assert late.json()["errors"][0]["field"] == "customer_id"

    await _settled(infra, topology)
    assert len(bus_listener.of_type("contact.deleted")) == 3


async def test_a_customer_deletion_delivered_again_deletes_nothing_more(
    api, customer_api, make_token, bus_listener, infra, topology
):
    token = make_token("manager")
    customer = await create_customer(customer_api, token)
    for name in ("Kari", "Ola"):
        await create_contact(api, token, customer["id"], first_name=name)
    await customer_api.delete(f"/v1/customers/{customer['id']}", headers=auth(token))
    await bus_listener.wait_for(2, "contact.deleted", within=20)
    [deletion] = bus_listener.of_type("customer.deleted")

    # The same message twice (a redelivery), and the same deletion as a new event (a publisher's retry).
    again = {**deletion, "id": str(uuid.uuid4())}
    await publish(infra.amqp_url, topology, deletion, deletion, again)
    await _settled(infra, topology)
    assert len(bus_listener.of_type("contact.deleted")) == 2
    assert (await queue_counts(infra.amqp_url, topology.dead_letter_queue_name("contact")))[0] == 0


async def test_a_deletion_that_overtakes_older_events_deletes_the_contacts_once_and_stays(
    api, make_token, office_id, bus_listener, infra, topology
):
    token = make_token("manager")
    customer_id = uuid.uuid4()
    v1, v2, v3 = (a_customer(office_id, customer_id, version) for version in (1, 2, 3))
    created = published(event_of(CustomerCreated(customer=v1), v1))
    await publish(infra.amqp_url, topology, created)

    async def contact_taken():
        # Only the event can make this customer known: the customer service has never heard of it.
        response = await api.post(
            "/v1/contacts",
            json={
                "customer_id": str(customer_id),
                "first_name": "Kari",
                "last_name": "Nordmann",
                "main": True,
            },
            headers=auth(token),
        )
        return response.json() if response.status_code == 201 else None

    kari = await eventually(contact_taken, within=20)
    ola = (await create_contact(api, token, str(customer_id), first_name="Ola")).json()

    deletion = published(event_of(CustomerDeleted(customer=v3), v3))
    update = published(event_of(CustomerUpdated(customer=v2, changed_fields=["name"]), v2))
    repeated_deletion = published(event_of(CustomerDeleted(customer=v3), v3))
    await publish(infra.amqp_url, topology, deletion, deletion, update, created, repeated_deletion)

    events = await bus_listener.wait_for(2, "contact.deleted", within=20)
    await _settled(infra, topology)
    events = bus_listener.of_type("contact.deleted")
    assert sorted(e["aggregate_id"] for e in events) == sorted([kari["id"], ola["id"]])
    assert {e["causation_id"] for e in events} == {deletion["id"]}
    assert {e["aggregate_version"] for e in events} == {2}
    for contact in (kari, ola):
        assert await _gone(api, token, f"/v1/contacts/{contact['id']}")
    # The older update and the repeated create arrived after the deletion and brought nothing back.
    late = await api.post(
        "/v1/contacts",
        json={"customer_id": str(customer_id), "first_name": "Sent", "last_name": "Kommer"},
        headers=auth(token),
    )
    assert late.status_code == 422
    assert await listed(api, token, include_inactive="true") == []


async def test_a_stale_customer_event_never_overwrites_a_newer_one(
    api, make_token, office_id, infra, topology
):
    token = make_token("manager")
    customer_id = uuid.uuid4()
    v1 = a_customer(office_id, customer_id, 1)
    v2 = a_customer(office_id, customer_id, 2, name="Fjord Consult Renamed")
    v3 = a_customer(office_id, customer_id, 3, active=False)
    await publish(infra.amqp_url, topology, published(event_of(CustomerCreated(customer=v1), v1)))

    async def contact_taken():
        response = await api.post(
            "/v1/contacts",
            json={"customer_id": str(customer_id), "first_name": "Kari", "last_name": "Nordmann"},
            headers=auth(token),
        )
        return response.json() if response.status_code == 201 else None

    contact = await eventually(contact_taken, within=20)
    assert contact["customer_active"] is True
    # The deactivation (v3) arrives before the rename (v2) that came first.
    await publish(
        infra.amqp_url,
        topology,
        published(event_of(CustomerDeactivated(customer=v3), v3)),
        published(event_of(CustomerUpdated(customer=v2, changed_fields=["name"]), v2)),
    )
    await _settled(infra, topology)
    read = await api.get(f"/v1/contacts/{contact['id']}", headers=auth(token))
    assert read.json()["customer_active"] is False


async def test_a_deleted_global_customer_takes_the_contacts_of_every_office(
    api, customer_api, make_token, bus_listener
):
    home = make_token("office_admin")
    elsewhere = make_token("manager", office=f"office-{uuid.uuid4().hex[:8]}")
    shared = await create_customer(customer_api, home, name="Konsern ASA", **{"global": True})
    mine = (await create_contact(api, home, shared["id"])).json()
    theirs = (await create_contact(api, elsewhere, shared["id"], first_name="Ola")).json()

    assert (await customer_api.delete(f"/v1/customers/{shared['id']}", headers=auth(home))).status_code == 204
    await bus_listener.wait_for(1, "contact.deleted", within=20)
    assert await _gone(api, home, f"/v1/contacts/{mine['id']}")
    await eventually(lambda: _gone(api, elsewhere, f"/v1/contacts/{theirs['id']}"), within=20)
