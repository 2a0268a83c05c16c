"""The customer service learns its customers' contacts from contact.* events: an address names only a
contact of its own customer, and loses it when the contact is deleted."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from contracts.contact import ContactCreated, ContactDeleted
from customer_api_helpers import auth, create
from servicekit.copy_tables import contact_copies
from servicekit.db import create_engine
from servicekit.testing.consumers import eventually
from servicekit.testing.messages import publish
from servicekit.testing.states import a_contact, event_of, published


def contact_event(payload_type, office_id: str, customer_id: str, contact_id: uuid.UUID, version: int):
    contact = a_contact(office_id, uuid.UUID(customer_id), contact_id, version)
    return published(event_of(payload_type(contact=contact), contact))


async def wait_for_copy(settings, contact_id: uuid.UUID, version: int) -> None:
    engine = create_engine(settings.database_url)

    async def stored():
        async with engine.connect() as connection:
            query = select(contact_copies.c.version).where(contact_copies.c.id == contact_id)
            return (await connection.execute(query)).scalar() == version or None

    try:
        await eventually(stored, within=15)
    finally:
        await engine.dispose()


async def test_an_address_names_a_contact_of_its_customer_and_loses_it_when_the_contact_is_deleted(
    api, settings, infra, topology, make_token, office_id, bus_listener
):
    token = make_token("manager")
    customer = (await create(api, token, name="Fjordkraft Service AS")).json()
    other = (await create(api, token, name="Havbruk AS")).json()
    contact_id = uuid.uuid4()
    await publish(
        infra.amqp_url, topology, contact_event(ContactCreated, office_id, customer["id"], contact_id, 1)
    )
    await wait_for_copy(settings, contact_id, 1)

    elsewhere = await api.post(
        f"/v1/customers/{other['id']}/addresses",
        json={"kind": "invoice", "city": "Bergen", "contact_id": str(contact_id)},
        headers=auth(token),
    )
    assert elsewhere.status_code == 422, elsewhere.text
    assert elsewhere.json()["errors"][0]["field"] == "contact_id"

    added = await api.post(
        f"/v1/customers/{customer['id']}/addresses",
        json={"kind": "invoice", "city": "Bergen", "contact_id": str(contact_id)},
        headers=auth(token),
    )
    assert added.status_code == 201, added.text

    await publish(
        infra.amqp_url, topology, contact_event(ContactDeleted, office_id, customer["id"], contact_id, 2)
    )

    async def address_without_contact():
        answer = (await api.get(f"/v1/customers/{customer['id']}", headers=auth(token))).json()
        return answer if answer["addresses"][0]["contact_id"] is None else None

    after = await eventually(address_without_contact, within=15)
    assert after["version"] == customer["version"] + 2
    updates = await bus_listener.wait_for(2, "customer.updated")
    cleared = updates[-1]
    assert cleared["payload"]["changed_fields"] == ["addresses"]
    assert cleared["causation_id"] is not None
    history = (await api.get(f"/v1/customers/{customer['id']}/history", headers=auth(token))).json()
    cleared_line = next(entry for entry in history["items"] if entry["version"] == after["version"])
    assert cleared_line["changed_by"] == "customer", "the service made the change, on the contact's event"
    assert cleared_line["field"].startswith("addresses")


async def test_a_back_office_sync_cannot_give_an_address_a_contact_of_another_office(
    api, settings, infra, topology, make_token, office_id
):
    token = make_token("manager")
    customer = (await create(api, token, name="Nordlys AS", external_ids={"erp": "4711"})).json()
    contact_id = uuid.uuid4()
    await publish(
        infra.amqp_url,
        topology,
        contact_event(ContactCreated, "another-office", customer["id"], contact_id, 1),
    )
    await wait_for_copy(settings, contact_id, 1)
    answer = await api.put(
        "/v1/customers/by-external-id/erp/4711",
        json={"name": "Nordlys AS", "addresses": [{"kind": "visiting", "contact_id": str(contact_id)}]},
        headers=auth(token),
    )
    assert answer.status_code == 422, answer.text
    assert answer.json()["errors"][0]["field"] == "addresses.0.contact_id", answer.text
