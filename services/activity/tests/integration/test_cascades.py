"""Through the real consumer on RabbitMQ: a deleted customer takes its activities with it, a deleted
contact leaves the activities that named it; each exactly once, however often or late the events come."""

from __future__ import annotations

import asyncio

import pytest

from activity_api_helpers import (
    auth,
    contact_created,
    contact_deleted,
    customer_created,
    customer_deleted,
    customer_updated,
    log,
    new_customer,
    publish_events,
    sessions_of,
    until_copied,
)
from contracts.customer import CustomerDeleted
from servicekit.testing.messages import wait_until_delivered
from servicekit.testing.states import a_contact, a_customer, event_of


async def all_applied(infra, topology) -> None:
    """Wait until the activity service's consumer has taken everything published so far, and a little
    longer for what it records to reach the bus."""
    await wait_until_delivered(infra.amqp_url, topology.queue_name("activity"))
    await asyncio.sleep(1.0)


async def read(api, token, activity_id):
    return await api.get(f"/v1/activities/{activity_id}", headers=auth(token))


async def test_deleting_a_customer_in_the_customer_service_deletes_its_activities_each_with_its_event(
    api, customer_api, make_token, bus_listener, infra, topology
):
    token = make_token("manager")
    doomed, kept = await new_customer(customer_api, token), await new_customer(customer_api, token)
    notes = [await log(api, token, doomed["id"], subject=f"note {n}") for n in range(3)]
    task = await log(api, token, doomed["id"], kind="task")
    survivor = await log(api, token, kept["id"])

    assert (
        await customer_api.delete(f"/v1/customers/{doomed['id']}", headers=auth(token))
    ).status_code == 204
    [deletion] = await bus_listener.wait_for(1, "customer.deleted")
    deleted = await bus_listener.wait_for(4, "activity.deleted", within=15)
    await all_applied(infra, topology)

    assert len(bus_listener.of_type("activity.deleted")) == 4
    assert {e["aggregate_id"] for e in deleted} == {a["id"] for a in [*notes, task]}
    for event in deleted:
        assert event["causation_id"] == deletion["id"]
        assert event["correlation_id"] == deletion["correlation_id"]
        assert event["payload"]["activity"]["version"] == event["aggregate_version"] == 2
    for activity in [*notes, task]:
        assert (await read(api, token, activity["id"])).status_code == 404
    assert (await read(api, token, survivor["id"])).status_code == 200
    listed = await api.get("/v1/activities", headers=auth(token))
    assert [item["id"] for item in listed.json()["items"]] == [survivor["id"]]


@pytest.fixture
async def customer_with_activities(api, infra, topology, office_id, make_token):
    """A customer known from its customer.created event, with two activities; and the author's token."""
    customer = a_customer(office_id)
    await publish_events(infra.amqp_url, topology, customer_created(customer))
    await until_copied(sessions_of(api), customer)
    token = make_token("manager")
    activities = [await log(api, token, customer.id, subject=f"note {n}") for n in range(2)]
    return customer, activities, token


async def test_a_customer_deleted_delivered_twice_deletes_each_activity_once(
    api, infra, topology, bus_listener, customer_with_activities
):
    customer, activities, token = customer_with_activities
    deletion = customer_deleted(customer.model_copy(update={"version": 2}))
    # The same event redelivered, and the same deletion published again under a new event id.
    again = event_of(
        CustomerDeleted(customer=customer.model_copy(update={"version": 2})), deletion.payload.customer
    )
    await publish_events(infra.amqp_url, topology, deletion, deletion, again)
    await bus_listener.wait_for(2, "activity.deleted", within=15)
    await all_applied(infra, topology)

    deleted = bus_listener.of_type("activity.deleted")
    assert sorted(e["aggregate_id"] for e in deleted) == sorted(a["id"] for a in activities)
    assert {e["causation_id"] for e in deleted} == {str(deletion.id)}
    for activity in activities:
        assert (await read(api, token, activity["id"])).status_code == 404


async def test_a_customer_deleted_overtaking_an_older_update_deletes_once_and_stays_deleted(
    api, infra, topology, bus_listener, customer_with_activities
):
    customer, activities, token = customer_with_activities
    v2 = customer.model_copy(update={"version": 2, "name": "Renamed"})
    v3 = customer.model_copy(update={"version": 3})
    await publish_events(
        infra.amqp_url, topology, customer_deleted(v3), customer_updated(v2), customer_created(customer)
    )
    await bus_listener.wait_for(2, "activity.deleted", within=15)
    await all_applied(infra, topology)

    assert len(bus_listener.of_type("activity.deleted")) == 2
    for activity in activities:
        assert (await read(api, token, activity["id"])).status_code == 404
    refused = await api.post(
        "/v1/activities",
        json={"kind": "note", "subject": "Too late", "customer_id": str(customer.id)},
        headers=auth(token),
    )
    assert refused.status_code == 422, "the late, older events did not bring the customer back"
    assert refused.json()["errors"][0]["field"] == "customer_id"


async def test_a_deletion_that_overtakes_the_customers_creation_leaves_nothing_to_log_on(
    api, infra, topology, office_id, make_token
):
    customer = a_customer(office_id)
    gone = customer.model_copy(update={"version": 2})
    await publish_events(infra.amqp_url, topology, customer_deleted(gone), customer_created(customer))
    await until_copied(sessions_of(api), gone, deleted=True)
    await all_applied(infra, topology)
    refused = await api.post(
        "/v1/activities",
        json={"kind": "note", "subject": "Hi", "customer_id": str(customer.id)},
        headers=auth(make_token("manager")),
    )
    assert refused.status_code == 422


async def test_a_deleted_global_customer_takes_the_activities_of_every_office(
    api, infra, topology, office_id, make_token
):
    shared = a_customer(office_id, **{"global": True})
    await publish_events(infra.amqp_url, topology, customer_created(shared))
    await until_copied(sessions_of(api), shared)
    ours, theirs = make_token("manager"), make_token("manager", office="branch-office")
    mine, branch = await log(api, ours, shared.id), await log(api, theirs, shared.id)
    await publish_events(infra.amqp_url, topology, customer_deleted(shared.model_copy(update={"version": 2})))
    await until_copied(sessions_of(api), shared.model_copy(update={"version": 2}), deleted=True)
    await all_applied(infra, topology)
    assert (await read(api, ours, mine["id"])).status_code == 404
    assert (await read(api, theirs, branch["id"])).status_code == 404


async def test_a_deleted_contact_leaves_the_activities_that_named_it_which_stay(
    api, infra, topology, bus_listener, office_id, make_token
):
    customer = a_customer(office_id)
    kari, ola = a_contact(office_id, customer.id), a_contact(office_id, customer.id)
    await publish_events(
        infra.amqp_url, topology, customer_created(customer), contact_created(kari), contact_created(ola)
    )
    for state in (customer, kari, ola):
        await until_copied(sessions_of(api), state)
    token = make_token("manager")
    with_kari = await log(api, token, customer.id, contact_ids=[str(kari.id)])
    with_both = await log(api, token, customer.id, kind="meeting", contact_ids=[str(ola.id), str(kari.id)])
    with_ola = await log(api, token, customer.id, contact_ids=[str(ola.id)])

    deletion = contact_deleted(kari.model_copy(update={"version": 2}))
    await publish_events(infra.amqp_url, topology, deletion, deletion)
    updated = await bus_listener.wait_for(2, "activity.updated", within=15)
    await all_applied(infra, topology)

    assert len(bus_listener.of_type("activity.updated")) == 2
    assert {e["aggregate_id"] for e in updated} == {with_kari["id"], with_both["id"]}
    for event in updated:
        assert event["payload"]["changed_fields"] == ["contact_ids"]
        assert event["causation_id"] == str(deletion.id)
        assert str(kari.id) not in event["payload"]["activity"]["contact_ids"]
    assert (await read(api, token, with_kari["id"])).json()["contact_ids"] == []
    both = (await read(api, token, with_both["id"])).json()
    assert (both["contact_ids"], both["version"]) == ([str(ola.id)], 2)
    assert (await read(api, token, with_ola["id"])).json()["version"] == 1
    kept = await api.get("/v1/activities", params={"contact_id": str(kari.id)}, headers=auth(token))
    assert kept.status_code == 404, "a deleted contact is no contact of the office"
