"""The transaction boundary runs a use case again when PostgreSQL undid its transaction so that another
could go on: two requests that lock the same rows in opposite orders both succeed, each committed once."""

from __future__ import annotations

import asyncio
import random
import uuid
from collections import Counter

from sqlalchemy import select, text

from contracts import Actor
from servicekit.messaging_tables import outbox
from servicekit.testing.events import Pinged
from servicekit.transactions import UseCase, run_in_transaction
from servicekit.unit_of_work import UnitOfWork


async def test_the_victim_of_a_deadlock_runs_again_and_both_transactions_commit_once(
    publisher_sessions, office_id
):
    both_hold_their_first_lock = asyncio.Barrier(2)
    attempts: Counter[str] = Counter()
    first, second = random.sample(range(1, 2**62), 2)  # advisory lock keys no other test takes

    def locking(one: int, other: int, note: str) -> UseCase[str]:
        async def use_case(uow: UnitOfWork) -> str:
            attempts[note] += 1
            await uow.session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": one})
            if attempts[note] == 1:
                await both_hold_their_first_lock.wait()
            await uow.session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": other})
            uow.record(Pinged(note=note), office_id=office_id, aggregate_id=uuid.uuid4(), aggregate_version=1)
            return note

        return use_case

    def unit() -> UnitOfWork:
        return UnitOfWork(
            publisher_sessions, service_name="publisher", actor=Actor(kind="user", id="u"), correlation_id="c"
        )

    answers = await asyncio.gather(
        run_in_transaction(unit(), locking(first, second, "first, then second")),
        run_in_transaction(unit(), locking(second, first, "second, then first")),
    )

    assert sorted(answers) == ["first, then second", "second, then first"]
    assert sorted(attempts.values()) == [1, 2]  # PostgreSQL chose one as the victim; it ran again
    async with publisher_sessions() as session:
        envelopes = (await session.execute(select(outbox.c.envelope))).scalars().all()
    notes = [envelope["payload"]["note"] for envelope in envelopes if envelope["office_id"] == office_id]
    assert sorted(notes) == ["first, then second", "second, then first"]
