"""OpenSearch away (issue 10 points 2 and 4): events wait and are applied once it is back, none goes to
the dead-letter queue for it; /readyz says what is missing, and says ready only once warmed up."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from contracts.customer import CustomerCreated
from search.config import Settings
from search_api_helpers import auth, customer_state, event, eventually_found
from servicekit.testing.consumers import eventually
from servicekit.testing.messages import publish, queue_counts
from servicekit.testing.services import running_in_process

UNREACHABLE = "http://127.0.0.1:9"


@pytest.fixture
async def api_without_opensearch(settings: Settings, index):
    """The service started while OpenSearch cannot be reached."""
    from search.main import create_app

    cut_off = settings.model_copy(update={"opensearch_url": UNREACHABLE})
    async with running_in_process(create_app(cut_off), "http://search") as client:
        yield client


async def _come_back(api, settings: Settings) -> None:
    """OpenSearch is reachable again (the same index object now talks to the real one)."""
    index = api.app.state.search_index
    index.settings = settings
    await index.close()


async def test_events_wait_while_opensearch_is_down_and_none_is_dead_lettered(
    api_without_opensearch, settings, infra, topology, office_id, make_token
):
    api = api_without_opensearch
    token = make_token("viewer")
    customer = customer_state(office_id, uuid.uuid4(), 1, name="Tålmodig AS")
    await publish(infra.amqp_url, topology, event(CustomerCreated(customer=customer), customer))
    # Longer than every retry delay of the test topology times its tries: a counted try would be dead by now.
    await asyncio.sleep(3)
    dead, _ = await queue_counts(infra.amqp_url, topology.dead_letter_queue_name("search"))
    assert dead == 0
    not_ready = await api.get("/readyz")
    assert not_ready.status_code == 503
    assert not_ready.json()["checks"]["opensearch"].startswith("unreachable")
    searched = await api.get("/v1/search/customers", params={"q": "x"}, headers=auth(token))
    assert searched.status_code == 503
    assert searched.json()["status"] == 503

    await _come_back(api, settings)
    await eventually_found(
        api,
        token,
        lambda answer: [item["id"] for item in answer["items"]] == [str(customer.id)],
        q="talmodig",
    )

    async def ready() -> bool:
        return (await api.get("/readyz")).status_code == 200

    await eventually(ready, within=15, every=0.2)  # once the warm-up, waiting to retry, has run
    dead, _ = await queue_counts(infra.amqp_url, topology.dead_letter_queue_name("search"))
    assert dead == 0


async def test_ready_only_after_warming_up(api):
    assert api.app.state.warmup.done.is_set()
    ready = await api.get("/readyz")
    assert ready.status_code == 200, ready.text
    assert set(ready.json()["checks"]) == {"database", "broker", "opensearch"}
