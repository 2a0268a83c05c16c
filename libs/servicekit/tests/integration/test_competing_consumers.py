"""Two consumer processes on one queue, against real PostgreSQL and RabbitMQ: every event is applied
exactly once, and a version-guarded copy ends at each aggregate's newest state, having never gone back to
an older one, whichever replica got which event."""

from __future__ import annotations

import asyncio
import random
import uuid
from collections import Counter, defaultdict

from sqlalchemy import select

from servicekit.testing.consumer_process import ConsumerProcessConfig, consumer_process
from servicekit.testing.consumers import aggregate_copies, copy_versions, eventually, recorded
from servicekit.testing.messages import pinged, publish, queue_counts

AGGREGATES = 6
VERSIONS = 40


async def test_two_replicas_apply_every_event_once_and_the_copy_only_ever_moves_forward(
    infra, topology, consumer_database, consumer_sessions, office_id
):
    shuffle = random.Random(20261123)
    aggregates = [uuid.uuid4() for _ in range(AGGREGATES)]
    per_aggregate = {
        aggregate: [
            pinged(office_id, f"v{v}", aggregate_id=aggregate, version=v) for v in range(1, VERSIONS + 1)
        ]
        for aggregate in aggregates
    }
    for events in per_aggregate.values():
        # Out of order, as retries and redeliveries make it, with the newest never last.
        shuffle.shuffle(events)
        if events[-1]["aggregate_version"] == VERSIONS:
            events[0], events[-1] = events[-1], events[0]
    stream = [events[n] for n in range(VERSIONS) for events in per_aggregate.values()]
    stream += shuffle.sample(stream, 20)  # redelivered duplicates, later in the stream
    replicas = [
        ConsumerProcessConfig(
            amqp_url=infra.amqp_url,
            database_url=consumer_database,
            topology=topology,
            name=name,
            handler="copy",
            batch_size=20,
            prefetch=60,
        )
        for name in ("replica-1", "replica-2")
    ]
    queue = topology.queue_name("contact")

    async def both_consuming() -> bool:
        return (await queue_counts(infra.amqp_url, queue))[1] == 2

    await publish(infra.amqp_url, topology)  # declares the queue the two will share
    async with consumer_process(replicas[0]), consumer_process(replicas[1]):
        await eventually(both_consuming, within=30)
        await publish(infra.amqp_url, topology, *stream)
        await eventually(lambda: _rows_with(consumer_sessions, office_id, AGGREGATES * VERSIONS), within=60)
        await asyncio.sleep(1.0)  # time for any duplicate to be (wrongly) applied
    rows = await recorded(consumer_sessions, office_id)

    applied = Counter(str(row.event_id) for row in rows)
    assert set(applied) == {event["id"] for events in per_aggregate.values() for event in events}
    assert set(applied.values()) == {1}
    assert {row.consumer for row in rows} == {"replica-1", "replica-2"}  # both took part
    async with consumer_sessions() as session:
        copies = (
            await session.execute(select(aggregate_copies).where(aggregate_copies.c.office_id == office_id))
        ).all()
        taken = (
            await session.execute(
                select(copy_versions)
                .where(copy_versions.c.office_id == office_id)
                .order_by(copy_versions.c.seq)
            )
        ).all()
    assert {copy.aggregate_id: copy.aggregate_version for copy in copies} == dict.fromkeys(
        aggregates, VERSIONS
    )
    versions_taken = defaultdict(list)
    for change in taken:
        versions_taken[change.aggregate_id].append(change.aggregate_version)
    for aggregate in aggregates:
        history = versions_taken[aggregate]
        assert history == sorted(set(history)), f"the copy of {aggregate} went back: {history}"
        assert history[-1] == VERSIONS


async def _rows_with(sessions, office_id: str, count: int):
    rows = await recorded(sessions, office_id)
    return rows if len(rows) >= count else None
