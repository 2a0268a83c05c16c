"""Customer events survive a broker outage: kept in the outbox, published on return, applied once."""

from __future__ import annotations

import asyncio

from sqlalchemy import select

from servicekit.db import create_engine, create_session_factory
from servicekit.messaging_tables import outbox
from servicekit.testing.consumers import eventually, recorded, recording_handler, running_consumer


async def test_a_customer_committed_while_the_broker_is_down_is_published_when_it_is_back(
    api, make_token, settings, infra, topology, consumer_sessions, office_id
):
    token = {"Authorization": f"Bearer {make_token('manager')}"}
    engine = create_engine(settings.database_url)
    sessions = create_session_factory(engine)

    async def outbox_row_of(customer_id: str):
        async with sessions() as session:
            query = select(outbox).where(outbox.c.aggregate_id == customer_id)
            return (await session.execute(query)).first()

    # The relay is connected and has declared the subscribers' durable queues.
    await api.post("/v1/customers", json={"name": "Before the outage"}, headers=token)
    infra.stop_broker()
    try:
        response = await api.post("/v1/customers", json={"name": "Written in the dark"}, headers=token)
        assert response.status_code == 201  # the API does not need the broker to accept a change
        customer_id = response.json()["id"]
        await asyncio.sleep(1.0)
        row = await outbox_row_of(customer_id)
        assert row is not None
        assert row.published_at is None
    finally:
        infra.start_broker()

    row = await eventually(lambda: _published(outbox_row_of, customer_id), within=30)
    assert row.published_at is not None

    handlers = {"customer.created": recording_handler("contact")}
    async with running_consumer(
        amqp_url=infra.amqp_url, topology=topology, session_factory=consumer_sessions, handlers=handlers
    ):
        # Quorum queues recover one by one after a broker restart; allow for it.
        applied = await eventually(lambda: _applied_for(consumer_sessions, office_id, customer_id), within=30)
        await asyncio.sleep(1.0)  # anything that would arrive twice has arrived by now
        applied = [
            r for r in await recorded(consumer_sessions, office_id) if str(r.aggregate_id) == customer_id
        ]
    assert len(applied) == 1
    assert applied[0].event_type == "customer.created"
    await engine.dispose()


async def _published(outbox_row_of, customer_id):
    row = await outbox_row_of(customer_id)
    return row if row is not None and row.published_at is not None else None


async def _applied_for(sessions, office_id, customer_id):
    return [r for r in await recorded(sessions, office_id) if str(r.aggregate_id) == customer_id]
