"""The outbox relay against real PostgreSQL and RabbitMQ."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import aio_pika
from sqlalchemy import select

from contracts import Actor
from servicekit.bus import Bus
from servicekit.messaging_tables import outbox
from servicekit.relay import OutboxRelay
from servicekit.testing.bus import EventListener
from servicekit.testing.consumers import eventually
from servicekit.testing.events import NobodyListens, Pinged
from servicekit.unit_of_work import UnitOfWork


@asynccontextmanager
async def running_relay(infra, topology, sessions, database_url) -> AsyncIterator[OutboxRelay]:
    bus = Bus(infra.amqp_url, topology)
    relay = OutboxRelay(
        service_name="publisher",
        session_factory=sessions,
        listen_dsn=database_url.replace("+asyncpg", ""),
        bus=bus,
        poll_interval_s=0.2,
    )
    task = asyncio.create_task(relay.run())
    try:
        yield relay
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await bus.close()


async def outbox_rows(sessions) -> list:
    async with sessions() as session:
        return list((await session.execute(select(outbox).order_by(outbox.c.id))).all())


async def test_committed_events_are_published_in_commit_order_per_aggregate(
    infra, topology, publisher_sessions, publisher_database, record_ping, bus_listener
):
    aggregates = [uuid.uuid4() for _ in range(3)]
    async with running_relay(infra, topology, publisher_sessions, publisher_database):
        for version in range(1, 21):
            for aggregate in aggregates:
                await record_ping(aggregate, version)
        events = await bus_listener.wait_for(60)
        for aggregate in aggregates:
            versions = [e["aggregate_version"] for e in events if e["aggregate_id"] == str(aggregate)]
            assert versions == list(range(1, 21))
        first = bus_listener.messages[0]
        assert first.message_id == events[0]["id"]
        assert first.routing_key == "customer.pinged"
        # Marked published once the broker confirmed them (the marking commits just after).
        await eventually(lambda: _all_published(publisher_sessions))


async def test_events_committed_before_the_relay_starts_are_published_when_it_does(
    infra, topology, publisher_sessions, publisher_database, record_ping, bus_listener
):
    aggregate = uuid.uuid4()
    await record_ping(aggregate, 1, "waiting")
    await asyncio.sleep(0.3)
    assert bus_listener.received == []
    async with running_relay(infra, topology, publisher_sessions, publisher_database):
        [event] = await bus_listener.wait_for(1)
    assert event["payload"] == {"note": "waiting"}


async def test_a_rolled_back_unit_of_work_publishes_nothing(
    infra, topology, publisher_sessions, publisher_database, record_ping, bus_listener, office_id
):
    async with running_relay(infra, topology, publisher_sessions, publisher_database):
        unit = UnitOfWork(
            publisher_sessions,
            service_name="publisher",
            actor=Actor(kind="service", id="t"),
            correlation_id="c",
        )
        with contextlib.suppress(RuntimeError):
            async with unit:
                unit.record(
                    Pinged(note="rolled back"),
                    office_id=office_id,
                    aggregate_id=uuid.uuid4(),
                    aggregate_version=1,
                )
                raise RuntimeError("the use case failed after recording its event")
        # An event committed afterwards arrives; the rolled-back one, recorded before it, never does.
        await record_ping(uuid.uuid4(), 1, "committed")
        await bus_listener.wait_for(1)
        await asyncio.sleep(0.3)
    assert [e["payload"]["note"] for e in bus_listener.received] == ["committed"]
    assert len(await outbox_rows(publisher_sessions)) == 1


async def test_an_event_nobody_subscribes_to_is_published_and_not_kept_back(
    infra, topology, publisher_sessions, publisher_database, record_ping, office_id
):
    async with running_relay(infra, topology, publisher_sessions, publisher_database):
        await record_ping(uuid.uuid4(), 1, "nobody", event=NobodyListens)
        rows = await eventually(lambda: _all_published_rows(publisher_sessions))
    assert rows[0].attempts == 0
    assert rows[0].last_error is None


async def _all_published_rows(sessions):
    rows = await outbox_rows(sessions)
    return rows if rows and all(row.published_at is not None for row in rows) else None


async def test_an_unroutable_event_is_an_error_kept_in_the_outbox_and_holds_back_its_aggregate(
    infra, topology, publisher_sessions, publisher_database, record_ping, office_id, monkeypatch
):
    # As if a subscriber's queue had vanished: the relay sends the event as mandatory, and no queue
    # is bound to its type.
    monkeypatch.setattr("servicekit.relay.is_subscribed", lambda event_type: True)
    stuck, other = uuid.uuid4(), uuid.uuid4()
    connection = await aio_pika.connect(infra.amqp_url)
    # Bound to customer events only: a `#` binding would make every event routable.
    bus_listener = await EventListener(connection, topology.exchange, office_id, ("customer.*",)).start()
    async with connection, running_relay(infra, topology, publisher_sessions, publisher_database):
        await record_ping(stuck, 1, "nobody", event=NobodyListens)
        await record_ping(stuck, 2, "after the unroutable one")
        await record_ping(other, 1, "unrelated")

        async def refused():
            rows = await outbox_rows(publisher_sessions)
            return rows[0].attempts >= 1 and rows

        rows = await eventually(refused)
        await bus_listener.wait_for(1)
        await asyncio.sleep(0.5)

    assert rows[0].published_at is None
    assert "NO_ROUTE" in rows[0].last_error or "PublishError" in rows[0].last_error
    # Order per aggregate: the event after the unroutable one waits for it; other aggregates flow.
    assert [e["payload"]["note"] for e in bus_listener.received] == ["unrelated"]


async def test_one_relay_publishes_at_a_time_and_a_standby_takes_over(
    infra, topology, publisher_sessions, publisher_database, record_ping, bus_listener
):
    async with running_relay(infra, topology, publisher_sessions, publisher_database) as standby:
        async with running_relay(infra, topology, publisher_sessions, publisher_database) as leader:
            await eventually(lambda: _async(leader.is_leader or standby.is_leader))
            first_leader = leader if leader.is_leader else standby
            assert not (leader.is_leader and standby.is_leader)
        # The inner relay has stopped; whichever relay remains publishes.
        await eventually(lambda: _async(standby.is_leader), within=15)
        await record_ping(uuid.uuid4(), 1, "after takeover")
        [event] = await bus_listener.wait_for(1, within=15)
    assert event["payload"]["note"] == "after takeover"
    assert first_leader is not None


async def _all_published(sessions) -> bool:
    return all(row.published_at is not None for row in await outbox_rows(sessions))


async def _async(value):
    return value
