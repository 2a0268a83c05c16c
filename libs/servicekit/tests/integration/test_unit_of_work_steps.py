"""Steps of a unit of work against real PostgreSQL: a failed step takes back its writes and the events it
recorded, and leaves the earlier steps and the transaction intact."""

from __future__ import annotations

import contextlib
import uuid

import pytest
from sqlalchemy import insert, select, text
from sqlalchemy.exc import DBAPIError

from contracts import Actor
from servicekit.messaging_tables import outbox
from servicekit.testing.events import Pinged
from servicekit.unit_of_work import UnitOfWork


def unit(sessions) -> UnitOfWork:
    return UnitOfWork(
        sessions, service_name="publisher", actor=Actor(kind="service", id="t"), correlation_id="c"
    )


async def test_a_failed_step_rolls_back_its_writes_and_recorded_events_and_the_rest_commits(
    publisher_sessions, office_id
):
    uow = unit(publisher_sessions)
    async with uow:
        for note in ("first", "broken", "third"):
            with pytest.raises(DBAPIError) if note == "broken" else contextlib.nullcontext():
                async with uow.step():
                    uow.record(
                        Pinged(note=note), office_id=office_id, aggregate_id=uuid.uuid4(), aggregate_version=1
                    )
                    await uow.session.execute(
                        insert(outbox).values(
                            event_id=uuid.uuid4(),
                            event_type="written.directly",
                            aggregate_id=uuid.uuid4(),
                            aggregate_version=1,
                            envelope={"office_id": office_id, "payload": {"note": note}},
                        )
                    )
                    if note == "broken":
                        await uow.session.execute(
                            text("SELECT 1/0")
                        )  # the database refuses: the step is aborted
        await uow.commit()

    async with publisher_sessions() as session:
        rows = (
            await session.execute(select(outbox.c.event_type, outbox.c.envelope).order_by(outbox.c.id))
        ).all()
    mine = [
        (kind, envelope["payload"]["note"]) for kind, envelope in rows if envelope["office_id"] == office_id
    ]
    assert sorted(mine) == sorted(
        [
            ("written.directly", "first"),
            ("written.directly", "third"),
            ("customer.pinged", "first"),
            ("customer.pinged", "third"),
        ]
    )


async def test_steps_do_not_nest(publisher_sessions):
    uow = unit(publisher_sessions)
    async with uow, uow.step():
        with pytest.raises(RuntimeError, match="do not nest"):
            async with uow.step():
                pass


async def test_an_event_recorded_while_handling_another_names_it_as_its_cause_unless_told_another(
    publisher_sessions, office_id
):
    uow = unit(publisher_sessions)
    cause = uow.record(
        Pinged(note="cause"), office_id=office_id, aggregate_id=uuid.uuid4(), aggregate_version=1
    )
    uow.handling(cause)
    effect = uow.record(Pinged(), office_id=office_id, aggregate_id=uuid.uuid4(), aggregate_version=1)
    other = uow.record(
        Pinged(), office_id=office_id, aggregate_id=uuid.uuid4(), aggregate_version=1, caused_by=effect
    )
    assert (effect.causation_id, effect.correlation_id) == (str(cause.id), "c")
    assert other.causation_id == str(effect.id)
