"""Housekeeping deletes expired rows of the outbox, inbox and idempotency keys, and keeps the rest."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import insert, select

from servicekit.housekeeping import Housekeeping, Retention
from servicekit.messaging_tables import idempotency_keys, inbox, outbox

NOW = datetime.now(UTC)
RETENTION = Retention(outbox=timedelta(days=7), inbox=timedelta(days=7), idempotency_keys=timedelta(hours=24))


def outbox_row(note: str, *, created: timedelta, published: timedelta | None) -> dict:
    return {
        "event_id": uuid.uuid4(),
        "event_type": "customer.pinged",
        "aggregate_id": uuid.uuid4(),
        "aggregate_version": 1,
        "envelope": {"note": note},
        "created_at": NOW - created,
        "published_at": None if published is None else NOW - published,
        "last_error": note,  # names the row in the assertions
    }


def inbox_row(note: str, *, age: timedelta) -> dict:
    return {
        "consumer": note,
        "event_id": uuid.uuid4(),
        "event_type": "customer.pinged",
        "processed_at": NOW - age,
    }


def idempotency_row(note: str, *, age: timedelta) -> dict:
    return {
        "office_id": "office-1",
        "key": note,
        "request_fingerprint": "f",
        "status_code": 201,
        "response": {},
        "headers": {},
        "created_at": NOW - age,
    }


async def test_expired_rows_are_deleted_in_batches_and_recent_or_unpublished_ones_kept(publisher_sessions):
    days, hours = timedelta(days=1), timedelta(hours=1)
    async with publisher_sessions() as session, session.begin():
        await session.execute(
            insert(outbox),
            [outbox_row(f"published long ago {n}", created=9 * days, published=8 * days) for n in range(3)]
            + [
                outbox_row("published lately", created=8 * days, published=6 * days),
                outbox_row("never published", created=30 * days, published=None),
            ],
        )
        await session.execute(
            insert(inbox),
            [inbox_row(f"applied long ago {n}", age=8 * days) for n in range(5)]
            + [inbox_row("applied lately", age=6 * days)],
        )
        await session.execute(
            insert(idempotency_keys),
            [idempotency_row(f"used long ago {n}", age=25 * hours) for n in range(2)]
            + [idempotency_row("used lately", age=23 * hours)],
        )

    housekeeping = Housekeeping(
        service_name="publisher", session_factory=publisher_sessions, retention=RETENTION, batch_size=2
    )
    pruned = await housekeeping.prune(now=NOW)

    assert pruned == {"outbox": 3, "inbox": 5, "idempotency_keys": 2}
    async with publisher_sessions() as session:
        assert set((await session.scalars(select(outbox.c.last_error))).all()) == {
            "published lately",
            "never published",
        }
        assert (await session.scalars(select(inbox.c.consumer))).all() == ["applied lately"]
        assert (await session.scalars(select(idempotency_keys.c.key))).all() == ["used lately"]
    assert await housekeeping.prune(now=NOW) == {"outbox": 0, "inbox": 0, "idempotency_keys": 0}
