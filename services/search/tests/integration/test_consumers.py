"""The index follows customer.*, contact.* and category.* events through the real consumer on RabbitMQ
(issue 10 point 2): out of order, duplicated, contacts before their customer, deletions, renames."""

from __future__ import annotations

import uuid

from contracts.category import CategoryCreated, CategoryUpdated
from contracts.contact import ContactCreated, ContactDeleted, ContactUpdated
from contracts.customer import CustomerCreated, CustomerDeleted, CustomerUpdated
from search_api_helpers import (
    category_state,
    contact_state,
    customer_state,
    event,
    eventually_found,
    ids_found,
    search,
)
from servicekit.testing.messages import publish, wait_until_delivered


async def _settled(infra, topology, api) -> None:
    await wait_until_delivered(infra.amqp_url, topology.queue_name("search"), within=20)


def _has(customer_id):
    return lambda answer: [item["id"] for item in answer["items"]] == [str(customer_id)]


async def test_a_created_customer_is_found_by_its_name(api, infra, topology, office_id, make_token):
    token = make_token("viewer")
    customer = customer_state(office_id, uuid.uuid4(), 1, name="Østbø Bygg AS")
    await publish(infra.amqp_url, topology, event(CustomerCreated(customer=customer), customer))
    answer = await eventually_found(api, token, _has(customer.id), q="ostbo")
    [item] = answer["items"]
    assert item["name"] == "Østbø Bygg AS"
    assert item["active"] is True
    metrics = (await api.get("/metrics")).text
    [newest] = [
        line for line in metrics.splitlines() if line.startswith("search_index_newest_event_timestamp")
    ]
    assert float(newest.rsplit(" ", 1)[1]) >= customer.created_at.timestamp() - 1
    assert "search_index_lag_seconds" in metrics


async def test_an_update_delivered_before_the_create_it_follows_wins(
    api, infra, topology, office_id, make_token
):
    token = make_token("viewer")
    customer_id = uuid.uuid4()
    first = customer_state(office_id, customer_id, 1, name="Gammelt Navn AS")
    second = customer_state(office_id, customer_id, 2, name="Nytt Navn AS")
    await publish(
        infra.amqp_url,
        topology,
        event(CustomerUpdated(customer=second, changed_fields=["name"]), second),
        event(CustomerCreated(customer=first), first),
    )
    await eventually_found(api, token, _has(customer_id), q="nytt navn")
    await _settled(infra, topology, api)
    assert await ids_found(api, token, "gammelt") == []


async def test_a_contact_before_its_customer_is_folded_in_when_the_customer_arrives(
    api, infra, topology, office_id, make_token
):
    token = make_token("viewer")
    customer = customer_state(office_id, uuid.uuid4(), 1, name="Vestland Rør AS")
    contact = contact_state(
        office_id,
        uuid.uuid4(),
        customer.id,
        1,
        first_name="Solveig",
        last_name="Haugland",
        phone="+4741234567",
    )
    await publish(infra.amqp_url, topology, event(ContactCreated(contact=contact), contact))
    await _settled(infra, topology, api)
    assert await ids_found(api, token, "Haugland") == []
    await publish(infra.amqp_url, topology, event(CustomerCreated(customer=customer), customer))
    await eventually_found(api, token, _has(customer.id), q="Solveig Haugland")
    for typed in ("+47 412 34 567", "0047 41234567", "41234567"):
        assert await ids_found(api, token, typed) == [str(customer.id)], typed


async def test_a_stale_contact_event_never_overwrites_a_newer_one_and_deletion_removes_it(
    api, infra, topology, office_id, make_token
):
    token = make_token("viewer")
    customer = customer_state(office_id, uuid.uuid4(), 1, name="Kystbyen AS")
    contact_id = uuid.uuid4()
    old = contact_state(office_id, contact_id, customer.id, 1, last_name="Gammelsen")
    new = contact_state(office_id, contact_id, customer.id, 2, last_name="Nyberg")
    await publish(
        infra.amqp_url,
        topology,
        event(CustomerCreated(customer=customer), customer),
        event(ContactUpdated(contact=new, changed_fields=["last_name"]), new),
        event(ContactCreated(contact=old), old),
    )
    await eventually_found(api, token, _has(customer.id), q="Nyberg")
    await _settled(infra, topology, api)
    assert await ids_found(api, token, "Gammelsen") == []

    gone = contact_state(office_id, contact_id, customer.id, 3, last_name="Nyberg")
    await publish(infra.amqp_url, topology, event(ContactDeleted(contact=gone), gone))
    await eventually_found(api, token, lambda answer: answer["items"] == [], q="Nyberg")
    assert await ids_found(api, token, "Kystbyen") == [str(customer.id)]


async def test_a_duplicate_delivery_changes_nothing(api, infra, topology, office_id, make_token):
    token = make_token("viewer")
    customer_id = uuid.uuid4()
    first = customer_state(office_id, customer_id, 1, name="Dobbel Levering AS")
    second = customer_state(office_id, customer_id, 2, name="Enkel Levering AS")
    created = event(CustomerCreated(customer=first), first)
    await publish(
        infra.amqp_url,
        topology,
        created,
        event(CustomerUpdated(customer=second, changed_fields=["name"]), second),
        created,
    )
    await eventually_found(api, token, _has(customer_id), q="enkel levering")
    await publish(infra.amqp_url, topology, created)
    await _settled(infra, topology, api)
    assert await ids_found(api, token, "dobbel") == []
    assert await ids_found(api, token, "enkel") == [str(customer_id)]


async def test_a_deleted_customer_is_no_longer_found_and_a_late_update_does_not_bring_it_back(
    api, infra, topology, office_id, make_token
):
    token = make_token("viewer")
    customer_id = uuid.uuid4()
    states = [customer_state(office_id, customer_id, version, name="Borte Vekk AS") for version in (1, 2, 3)]
    await publish(infra.amqp_url, topology, event(CustomerCreated(customer=states[0]), states[0]))
    await eventually_found(api, token, _has(customer_id), q="borte")
    await publish(
        infra.amqp_url,
        topology,
        event(CustomerDeleted(customer=states[2]), states[2]),
        event(CustomerUpdated(customer=states[1], changed_fields=["name"]), states[1]),
    )
    await eventually_found(api, token, lambda answer: answer["items"] == [], q="borte")
    await _settled(infra, topology, api)
    assert await ids_found(api, token, "borte") == []


async def test_a_renamed_category_reaches_the_customers_that_carry_it(
    api, infra, topology, office_id, make_token
):
    token = make_token("viewer")
    category = category_state(office_id, uuid.uuid4(), 1, "Eiendom")
    customer = customer_state(office_id, uuid.uuid4(), 1, name="Tårnhuset AS", category_ids=[category.id])
    await publish(
        infra.amqp_url,
        topology,
        event(CategoryCreated(category=category), category),
        event(CustomerCreated(customer=customer), customer),
    )
    await eventually_found(api, token, _has(customer.id), q="eiendom")
    renamed = category_state(office_id, category.id, 2, "Næringsbygg")
    await publish(infra.amqp_url, topology, event(CategoryUpdated(category=renamed), renamed))
    answer = await eventually_found(api, token, _has(customer.id), q="naeringsbygg")
    assert answer["facets"]["category"] == [{"value": str(category.id), "label": "Næringsbygg", "count": 1}]
    assert (await search(api, token, q="eiendom"))["items"] == []
