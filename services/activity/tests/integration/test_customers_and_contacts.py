"""An activity names a customer of the caller's office and contacts of that customer, checked against the
service's copies: fed by the real customer service's events and by contact.* events on the bus, and read
once from the owner when the event has not arrived."""

from __future__ import annotations

import uuid

import pytest

from activity_api_helpers import (
    auth,
    contact_created,
    contact_deleted,
    copy_version,
    customer_created,
    log,
    new_customer,
    publish_events,
    sessions_of,
    until_copied,
)
from customer_api_helpers import insert_customer
from servicekit.copy_tables import customer_copies
from servicekit.db import create_engine
from servicekit.testing.states import a_contact, a_customer


async def refused_naming(api, token, body, field, status=422):
    response = await api.post(
        "/v1/activities", json={"kind": "note", "subject": "Hi", **body}, headers=auth(token)
    )
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    if field is not None:
        assert response.json()["errors"][0]["field"] == field
    return response


# --- the customer ---------------------------------------------------------------------------------------


async def test_a_customer_unknown_in_the_callers_office_is_refused_naming_customer_id(
    api, customer_api, make_token
):
    token = make_token("manager")
    await refused_naming(api, token, {"customer_id": str(uuid.uuid4())}, "customer_id")
    elsewhere = await new_customer(customer_api, make_token("manager", office="another-office"))
    await refused_naming(api, token, {"customer_id": elsewhere["id"]}, "customer_id")


async def test_a_global_customer_of_another_office_takes_activities_of_this_office(
    api, customer_api, make_token, office_id
):
    shared = await new_customer(
        customer_api, make_token("office_admin", office="head-office"), **{"global": True}
    )
    token = make_token("manager")
    note = await log(api, token, shared["id"])
    assert note["office_id"] == office_id
    head_office = make_token("office_admin", office="head-office")
    assert (await api.get(f"/v1/activities/{note['id']}", headers=auth(head_office))).status_code == 404


async def test_a_customer_whose_event_has_not_arrived_is_read_once_from_the_customer_service(
    api, customer_service_database, make_token, office_id
):
    engine = create_engine(customer_service_database)
    try:
        # Written past the customer service's API: no customer.created is ever published for it.
        customer_id = await insert_customer(engine, office_id)
    finally:
        await engine.dispose()
    token = make_token("manager")
    note = await log(api, token, customer_id)
    assert (note["customer_id"], note["customer_active"]) == (str(customer_id), True)
    assert await copy_version(sessions_of(api), customer_copies, customer_id) == (1, False)


async def test_an_inactive_customer_still_takes_activities_and_answers_say_so(api, customer_api, make_token):
    token = make_token("manager")
    customer = await new_customer(customer_api, token)
    earlier = await log(api, token, customer["id"])
    deactivated = await customer_api.post(f"/v1/customers/{customer['id']}/deactivate", headers=auth(token))
    assert deactivated.status_code == 200
    await until_copied(
        sessions_of(api), a_customer(customer["office_id"], uuid.UUID(customer["id"]), version=2)
    )

    note = await log(api, token, customer["id"])
    assert note["customer_active"] is False
    read = await api.get(f"/v1/activities/{earlier['id']}", headers=auth(token))
    assert read.json()["customer_active"] is False
    listed = await api.get("/v1/activities", params={"customer_id": customer["id"]}, headers=auth(token))
    assert [item["customer_active"] for item in listed.json()["items"]] == [False, False]


async def test_a_deleted_customer_takes_no_new_activities(api, customer_api, make_token):
    token = make_token("manager")
    customer = await new_customer(customer_api, token)
    assert (
        await customer_api.delete(f"/v1/customers/{customer['id']}", headers=auth(token))
    ).status_code == 204
    await until_copied(
        sessions_of(api),
        a_customer(customer["office_id"], uuid.UUID(customer["id"]), version=2),
        deleted=True,
    )
    await refused_naming(api, token, {"customer_id": customer["id"]}, "customer_id")


# --- the contacts ---------------------------------------------------------------------------------------


@pytest.fixture
async def customer_with_contacts(api, infra, topology, office_id):
    """A customer of the office with two contacts, and a contact of another customer, all fed by events."""
    customer = a_customer(office_id)
    other_customer = a_customer(office_id)
    kari = a_contact(office_id, customer.id, first_name="Kari")
    ola = a_contact(office_id, customer.id, first_name="Ola")
    stranger = a_contact(office_id, other_customer.id)
    await publish_events(
        infra.amqp_url,
        topology,
        customer_created(customer),
        customer_created(other_customer),
        *(contact_created(c) for c in (kari, ola, stranger)),
    )
    for state in (customer, other_customer, kari, ola, stranger):
        await until_copied(sessions_of(api), state)
    return customer, kari, ola, stranger


async def test_contacts_of_the_customer_are_named_on_an_activity(api, make_token, customer_with_contacts):
    customer, kari, ola, _ = customer_with_contacts
    meeting = await log(
        api, make_token("manager"), customer.id, kind="meeting", contact_ids=[str(ola.id), str(kari.id)]
    )
    assert meeting["contact_ids"] == [str(ola.id), str(kari.id)]


async def test_a_contact_of_another_customer_office_or_none_at_all_is_refused_naming_contact_ids(
    api, make_token, customer_with_contacts, contact_owner, infra, topology
):
    customer, kari, _, stranger = customer_with_contacts
    token = make_token("manager")
    elsewhere = a_contact("another-office", customer.id)
    await publish_events(infra.amqp_url, topology, contact_created(elsewhere))
    await until_copied(sessions_of(api), elsewhere)
    unknown = uuid.uuid4()
    for contact_id in (stranger.id, elsewhere.id, unknown):
        body = {"customer_id": str(customer.id), "contact_ids": [str(kari.id), str(contact_id)]}
        response = await refused_naming(api, token, body, "contact_ids")
        assert str(contact_id) in response.json()["detail"]
    assert contact_owner.reads == [unknown], "only the contact missing from the copy is asked of its owner"


async def test_a_contact_whose_event_has_not_arrived_is_read_once_from_the_contact_service(
    api, make_token, customer_with_contacts, contact_owner, office_id
):
    customer, *_ = customer_with_contacts
    newcomer = a_contact(office_id, customer.id)
    contact_owner.states[newcomer.id] = newcomer
    token = make_token("manager")
    for _ in range(2):
        await log(api, token, customer.id, contact_ids=[str(newcomer.id)])
    assert contact_owner.reads == [newcomer.id]


async def test_a_deleted_contact_cannot_be_named(api, make_token, customer_with_contacts, infra, topology):
    customer, kari, *_ = customer_with_contacts
    gone = kari.model_copy(update={"version": 2})
    await publish_events(infra.amqp_url, topology, contact_deleted(gone))
    await until_copied(sessions_of(api), gone, deleted=True)
    body = {"customer_id": str(customer.id), "contact_ids": [str(kari.id)]}
    await refused_naming(api, make_token("manager"), body, "contact_ids")


async def test_an_edit_checks_the_contacts_it_adds(api, make_token, customer_with_contacts):
    customer, kari, ola, stranger = customer_with_contacts
    token = make_token("manager")
    note = await log(api, token, customer.id, contact_ids=[str(kari.id)])
    path = f"/v1/activities/{note['id']}"
    refused = await api.patch(
        path, json={"contact_ids": [str(kari.id), str(stranger.id)]}, headers=auth(token, **{"If-Match": "*"})
    )
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "contact_ids"
    twice = await api.patch(
        path, json={"contact_ids": [str(ola.id), str(ola.id)]}, headers=auth(token, **{"If-Match": "*"})
    )
    assert twice.status_code == 422
    assert twice.json()["errors"][0]["field"] == "contact_ids"
    changed = await api.patch(
        path, json={"contact_ids": [str(ola.id)]}, headers=auth(token, **{"If-Match": "*"})
    )
    assert changed.json()["contact_ids"] == [str(ola.id)]


async def test_an_owner_that_cannot_answer_is_a_503_to_try_again_never_a_500(
    api, make_token, customer_with_contacts, contact_owner
):
    customer, *_ = customer_with_contacts
    contact_owner.broken = True
    body = {"customer_id": str(customer.id), "contact_ids": [str(uuid.uuid4())]}
    response = await refused_naming(api, make_token("manager"), body, None, status=503)
    assert response.headers["Retry-After"] == "5"
    assert (await api.get("/v1/activities", headers=auth(make_token("viewer")))).json()["items"] == []
