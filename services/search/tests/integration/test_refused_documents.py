"""A document OpenSearch refuses fails only the events that made it: they go the usual way (retries,
then the dead-letter queue), and the other events of their batch are applied (issue 10 point 2)."""

from __future__ import annotations

import uuid

import pytest

from contracts.customer import CustomerCreated
from search.service import indexing
from search_api_helpers import customer_state, event, eventually_found
from servicekit.testing.consumers import eventually
from servicekit.testing.messages import publish, queue_counts

real_document = indexing.customer_document


def _poisoned(customer, contacts, names):
    document = real_document(customer, contacts, names)
    if customer.name.startswith("Poison"):
        document["not_in_the_mapping"] = True  # the strict mapping refuses it
    return document


@pytest.fixture
def poisoned_documents(monkeypatch):
    monkeypatch.setattr(indexing, "customer_document", _poisoned)


@pytest.mark.usefixtures("poisoned_documents")
async def test_a_refused_document_is_dead_lettered_alone_after_its_retries(
    api, infra, topology, office_id, make_token
):
    poison = customer_state(office_id, uuid.uuid4(), 1, name="Poison Pille AS")
    good = customer_state(office_id, uuid.uuid4(), 1, name="Frisk Fisk AS")
    await publish(
        infra.amqp_url,
        topology,
        event(CustomerCreated(customer=poison), poison),
        event(CustomerCreated(customer=good), good),
    )
    answer = await eventually_found(api, make_token("viewer"), lambda a: a["total"] == 1, q="frisk fisk")
    assert answer["items"][0]["id"] == str(good.id)

    async def dead_lettered() -> bool:
        return (await queue_counts(infra.amqp_url, topology.dead_letter_queue_name("search")))[0] == 1

    await eventually(dead_lettered, within=20, every=0.2)
    assert (await eventually_found(api, make_token("viewer"), lambda a: True, q="poison"))["items"] == []
