"""A batch of events is one OpenSearch bulk request (issue 10 point 2)."""

from __future__ import annotations

import uuid

from contracts.customer import CustomerCreated
from search.config import Settings
from search_api_helpers import customer_state, event, eventually_found
from servicekit.testing.messages import publish
from servicekit.testing.services import running_in_process


async def test_events_waiting_in_the_queue_are_written_in_one_bulk_request_per_batch(
    settings: Settings, index, infra, topology, office_id, make_token
):
    from search.main import create_app

    customers = [customer_state(office_id, uuid.uuid4(), 1, name=f"Batch {n} AS") for n in range(40)]
    await publish(infra.amqp_url, topology, *(event(CustomerCreated(customer=c), c) for c in customers))

    app = create_app(settings)
    bulks: list[int] = []
    real_bulk = app.state.search_index.bulk

    async def counted_bulk(actions):
        bulks.append(len(actions))
        return await real_bulk(actions)

    app.state.search_index.bulk = counted_bulk
    async with running_in_process(app, "http://search") as api:
        await eventually_found(api, make_token("viewer"), lambda answer: answer["total"] == 40, q="batch")
    # 40 waiting events fit in one batch of 50: one request with 40 documents (two if the consumer
    # started taking them while the broker was still delivering).
    assert sum(bulks) == 80
    assert len(bulks) <= 2
