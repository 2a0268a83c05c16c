"""Batches against real PostgreSQL and RabbitMQ: one transaction per batch, a failing event fails alone,
duplicates apply once, an aggregate's events keep their order, and batch handlers see whole batches.

To get a known batch, a test first sends a gate event that holds the consumer inside its first batch,
queues the events it wants applied together, and opens the gate once the broker has delivered them all:
the consumer's next batch is then exactly those events. `applied_events.transaction_id` shows which
events were committed together.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Sequence
from typing import Any

from prometheus_client import REGISTRY
from sqlalchemy import insert

from contracts import EventEnvelope
from servicekit.handlers import ALL_APPLIED, BatchOutcome, DependencyUnavailable, EventHandler
from servicekit.testing.consumers import (
    applied_events,
    eventually,
    record_of,
    recorded,
    recording_handler,
    running_consumer,
)
from servicekit.testing.events import Pinged
from servicekit.testing.messages import pinged, publish, take_all, wait_until_delivered
from servicekit.unit_of_work import UnitOfWork


class Gate:
    """A gate event the consumer waits at, inside a batch of its own, until the test opens it."""

    def __init__(self, infra, topology, office_id: str) -> None:
        self.infra, self.topology, self.office_id = infra, topology, office_id
        self.reached = asyncio.Event()
        self.opened = asyncio.Event()

    def is_gate(self, envelope: EventEnvelope[Any]) -> bool:
        return envelope.payload["note"] == "gate"

    async def wait_if_gate(self, envelope: EventEnvelope[Any]) -> bool:
        if not self.is_gate(envelope):
            return False
        self.reached.set()
        await self.opened.wait()
        return True

    def around(self, handler: EventHandler) -> EventHandler:
        async def handle(envelope: EventEnvelope[Any], uow: UnitOfWork) -> None:
            if not await self.wait_if_gate(envelope):
                await handler(envelope, uow)

        return handle

    async def let_through_as_one_batch(self, *events: dict) -> None:
        await publish(self.infra.amqp_url, self.topology, pinged(self.office_id, "gate"))
        await asyncio.wait_for(self.reached.wait(), 10)
        await publish(self.infra.amqp_url, self.topology, *events)
        await wait_until_delivered(self.infra.amqp_url, self.topology.queue_name("contact"))
        self.opened.set()


def by_note(**handlers: EventHandler) -> EventHandler:
    """Dispatch on the event's note; `default` takes the rest."""

    async def handle(envelope: EventEnvelope[Any], uow: UnitOfWork) -> None:
        await handlers.get(envelope.payload["note"], handlers["default"])(envelope, uow)

    return handle


async def rows_with(sessions, office_id: str, count: int):
    rows = await recorded(sessions, office_id)
    return rows if len(rows) >= count else None


def ids(events: Sequence[dict]) -> list[str]:
    return [event["id"] for event in events]


def applied_ids(rows) -> list[str]:
    return [str(row.event_id) for row in rows]


async def test_a_poison_event_in_the_middle_of_a_batch_fails_alone_while_the_others_commit_together(
    infra, topology, consumer_sessions, office_id
):
    healthy = [pinged(office_id, f"healthy {n}") for n in range(4)]
    poison = pinged(office_id, "poison")
    poison_tries = 0
    record = recording_handler("contact")

    async def poisoned(envelope, uow):
        nonlocal poison_tries
        poison_tries += 1
        await record(envelope, uow)  # written, then rolled back with its savepoint
        raise RuntimeError("poison")

    gate = Gate(infra, topology, office_id)
    handler = gate.around(by_note(poison=poisoned, default=record))
    async with running_consumer(
        amqp_url=infra.amqp_url,
        topology=topology,
        session_factory=consumer_sessions,
        handlers={Pinged.event_type: handler},
    ):
        await gate.let_through_as_one_batch(*healthy[:2], poison, *healthy[2:])
        [dead] = await eventually(
            lambda: take_all(infra.amqp_url, topology.dead_letter_queue_name("contact")), within=15
        )
        await asyncio.sleep(0.3)
    rows = await recorded(consumer_sessions, office_id)

    assert applied_ids(rows) == ids(healthy)
    assert len({row.transaction_id for row in rows}) == 1  # one transaction for the batch
    assert json.loads(dead.body)["id"] == poison["id"]
    assert dead.headers["x-attempt"] == topology.max_attempts == 3
    assert dead.headers["x-last-error"] == "RuntimeError: poison"
    # Tried in the batch without savepoints, again in its savepoint, then alone on each retry.
    assert poison_tries == topology.max_attempts + 1


async def test_a_duplicate_inside_one_batch_is_applied_once(infra, topology, consumer_sessions, office_id):
    twice, other = pinged(office_id, "twice"), pinged(office_id, "other")
    gate = Gate(infra, topology, office_id)
    handler = gate.around(recording_handler("contact"))
    duplicates_before = _consumed("duplicate")
    async with running_consumer(
        amqp_url=infra.amqp_url,
        topology=topology,
        session_factory=consumer_sessions,
        handlers={Pinged.event_type: handler},
    ):
        await gate.let_through_as_one_batch(twice, other, twice)
        await eventually(lambda: rows_with(consumer_sessions, office_id, 2))
        await asyncio.sleep(0.3)
    rows = await recorded(consumer_sessions, office_id)

    assert applied_ids(rows) == ids([twice, other])
    assert len({row.transaction_id for row in rows}) == 1
    assert _consumed("duplicate") == duplicates_before + 1


async def test_events_behind_a_failed_event_of_their_aggregate_wait_for_it_and_then_apply_in_order(
    infra, topology, consumer_sessions, office_id
):
    a, b = uuid.uuid4(), uuid.uuid4()
    a1 = pinged(office_id, "flaky", aggregate_id=a, version=1)
    a2, a3 = (pinged(office_id, f"a{v}", aggregate_id=a, version=v) for v in (2, 3))
    b1, b2 = (pinged(office_id, f"b{v}", aggregate_id=b, version=v) for v in (1, 2))
    gate = Gate(infra, topology, office_id)
    handler = gate.around(
        # Fails in the batch's try without savepoints and in its own savepoint; its retry succeeds.
        by_note(flaky=recording_handler("contact", fail_first=2), default=recording_handler("contact"))
    )
    async with running_consumer(
        amqp_url=infra.amqp_url,
        topology=topology,
        session_factory=consumer_sessions,
        handlers={Pinged.event_type: handler},
    ):
        await gate.let_through_as_one_batch(a1, b1, a2, a3, b2)
        rows = await eventually(lambda: rows_with(consumer_sessions, office_id, 5), within=15)
        await asyncio.sleep(0.3)
        assert await take_all(infra.amqp_url, topology.dead_letter_queue_name("contact")) == []
    rows = await recorded(consumer_sessions, office_id)

    assert [(row.aggregate_id, row.aggregate_version) for row in rows] == [
        (b, 1),
        (b, 2),
        (a, 1),
        (a, 2),
        (a, 3),
    ]
    assert rows[0].transaction_id == rows[1].transaction_id  # b went on in the first batch


async def test_when_the_failed_event_is_dead_lettered_the_later_events_of_its_aggregate_are_applied(
    infra, topology, consumer_sessions, office_id
):
    aggregate = uuid.uuid4()
    poison = pinged(office_id, "poison", aggregate_id=aggregate, version=1)
    later = pinged(office_id, "later", aggregate_id=aggregate, version=2)
    gate = Gate(infra, topology, office_id)
    handler = gate.around(
        by_note(poison=recording_handler("contact", always_fail=True), default=recording_handler("contact"))
    )
    async with running_consumer(
        amqp_url=infra.amqp_url,
        topology=topology,
        session_factory=consumer_sessions,
        handlers={Pinged.event_type: handler},
    ):
        await gate.let_through_as_one_batch(poison, later)
        rows = await eventually(lambda: rows_with(consumer_sessions, office_id, 1), within=15)
        [dead] = await eventually(
            lambda: take_all(infra.amqp_url, topology.dead_letter_queue_name("contact"))
        )
        await asyncio.sleep(0.3)
    rows = await recorded(consumer_sessions, office_id)

    assert applied_ids(rows) == [later["id"]]
    assert json.loads(dead.body)["id"] == poison["id"]


class BulkRecorder:
    """A batch handler writing all its rows with one statement, like the search service's one bulk
    request per batch; it reports the events noted `refused` as failed, as a bulk response would."""

    def __init__(self, gate: Gate, raise_on: str | None = None) -> None:
        self.gate = gate
        self.raise_on = raise_on
        self.calls: list[list[str]] = []

    async def apply_batch(self, events: Sequence[EventEnvelope[Any]], uow: UnitOfWork) -> BatchOutcome:
        notes = [event.payload["note"] for event in events]
        self.calls.append(notes)
        if len(events) == 1 and await self.gate.wait_if_gate(events[0]):
            return ALL_APPLIED
        if self.raise_on in notes:
            raise RuntimeError("the bulk request broke")
        await uow.session.execute(insert(applied_events), [record_of("contact", event) for event in events])
        return BatchOutcome(
            failed={e.id: RuntimeError("bulk item refused") for e in events if e.payload["note"] == "refused"}
        )


async def test_a_batch_handler_gets_the_whole_batch_in_one_call_and_a_refused_event_fails_alone(
    infra, topology, consumer_sessions, office_id
):
    aggregate = uuid.uuid4()
    events = [pinged(office_id, f"e{n}") for n in range(10)]
    events[3] = pinged(office_id, "refused", aggregate_id=aggregate, version=1)
    events[6] = pinged(office_id, "behind refused", aggregate_id=aggregate, version=2)
    gate = Gate(infra, topology, office_id)
    bulk = BulkRecorder(gate)
    async with running_consumer(
        amqp_url=infra.amqp_url,
        topology=topology,
        session_factory=consumer_sessions,
        handlers={Pinged.event_type: bulk},
    ):
        await gate.let_through_as_one_batch(*events)
        [dead] = await eventually(
            lambda: take_all(infra.amqp_url, topology.dead_letter_queue_name("contact")), within=15
        )
        rows = await eventually(lambda: rows_with(consumer_sessions, office_id, 9))
        await asyncio.sleep(0.3)
    rows = await recorded(consumer_sessions, office_id)

    notes = [event["payload"]["note"] for event in events]
    others = [note for note in notes if note not in ("refused", "behind refused")]
    # The gate alone; the batch in one call; again without the refused event and the one behind it.
    # The whole batch without savepoints, again in a savepoint, then without the refused event.
    assert bulk.calls[:4] == [["gate"], notes, notes, others]
    first_batch = [row for row in rows if row.transaction_id == rows[0].transaction_id]
    assert applied_ids(first_batch) == [e["id"] for e in events if e["payload"]["note"] in others]
    # Every event but the refused one applied exactly once; the refused one dead-lettered after its tries.
    assert sorted(applied_ids(rows)) == sorted(e["id"] for e in events if e["payload"]["note"] != "refused")
    assert json.loads(dead.body)["id"] == events[3]["id"]
    assert dead.headers["x-attempt"] == topology.max_attempts
    assert dead.headers["x-last-error"] == "RuntimeError: bulk item refused"


async def test_a_batch_handler_that_raises_is_called_once_per_event_so_only_the_bad_event_fails(
    infra, topology, consumer_sessions, office_id
):
    events = [pinged(office_id, f"e{n}") for n in range(4)]
    events[2] = pinged(office_id, "breaks")
    gate = Gate(infra, topology, office_id)
    bulk = BulkRecorder(gate, raise_on="breaks")
    async with running_consumer(
        amqp_url=infra.amqp_url,
        topology=topology,
        session_factory=consumer_sessions,
        handlers={Pinged.event_type: bulk},
    ):
        await gate.let_through_as_one_batch(*events)
        [dead] = await eventually(
            lambda: take_all(infra.amqp_url, topology.dead_letter_queue_name("contact")), within=15
        )
        await asyncio.sleep(0.3)
    rows = await recorded(consumer_sessions, office_id)

    notes = [event["payload"]["note"] for event in events]
    assert bulk.calls[:7] == [["gate"], notes, notes, ["e0"], ["e1"], ["breaks"], ["e3"]]
    assert applied_ids(rows) == [events[n]["id"] for n in (0, 1, 3)]
    assert len({row.transaction_id for row in rows}) == 1
    assert json.loads(dead.body)["id"] == events[2]["id"]
    assert dead.headers["x-last-error"] == "RuntimeError: the bulk request broke"


def _consumed(outcome: str) -> float:
    value = REGISTRY.get_sample_value(
        "events_consumed_total", {"service": "contact", "event_type": Pinged.event_type, "outcome": outcome}
    )
    return value or 0.0


async def test_a_batch_whose_dependency_is_down_comes_back_whole_without_counting_a_try(
    infra, topology, consumer_sessions, office_id
):
    events = [pinged(office_id, f"e{n}") for n in range(3)]
    record = recording_handler("contact")
    outage = {"calls_left": 2}

    async def needs_a_server(envelope, uow):
        if outage["calls_left"] > 0:
            outage["calls_left"] -= 1
            raise DependencyUnavailable("the index server does not answer")
        await record(envelope, uow)

    gate = Gate(infra, topology, office_id)
    async with running_consumer(
        amqp_url=infra.amqp_url,
        topology=topology,
        session_factory=consumer_sessions,
        handlers={Pinged.event_type: gate.around(needs_a_server)},
    ):
        await gate.let_through_as_one_batch(*events)
        rows = await eventually(lambda: rows_with(consumer_sessions, office_id, 3), within=60)
        await asyncio.sleep(0.3)
        assert await take_all(infra.amqp_url, topology.dead_letter_queue_name("contact")) == []
    assert outage["calls_left"] == 0
    assert applied_ids(rows) == ids(events)
    # No event failed alone into a retry queue: the whole batch came back and applied together.
    assert len({row.transaction_id for row in rows}) == 1


async def test_with_a_linger_events_trickling_in_are_applied_as_one_batch(
    infra, topology, consumer_sessions, office_id
):
    # Five events 50 ms apart: without a linger each would be a batch of its own (the consumer takes
    # what has arrived and never waits), each paying a transaction and, in the search service, a bulk
    # request; with a linger of a second the first waits for the others.
    calls: list[list[str]] = []

    class Recorder:
        async def apply_batch(self, events: Sequence[EventEnvelope[Any]], uow: UnitOfWork) -> BatchOutcome:
            calls.append([event.payload["note"] for event in events])
            await uow.session.execute(insert(applied_events), [record_of("contact", e) for e in events])
            return ALL_APPLIED

    events = [pinged(office_id, f"e{n}") for n in range(5)]
    async with running_consumer(
        amqp_url=infra.amqp_url,
        topology=topology,
        session_factory=consumer_sessions,
        handlers={Pinged.event_type: Recorder()},
        linger_s=1.0,
    ):
        for event in events:
            await publish(infra.amqp_url, topology, event)
            await asyncio.sleep(0.05)
        await eventually(lambda: rows_with(consumer_sessions, office_id, 5))
    assert calls == [[event["payload"]["note"] for event in events]]
