"""The dead-letter queue's tools against real RabbitMQ and PostgreSQL: a look leaves the messages where
they are, a replay brings an event back to its consumer, which applies it once, a purge deletes."""

from __future__ import annotations

import asyncio
import dataclasses

import aio_pika
import pytest

from servicekit import dead_letters
from servicekit.testing.consumers import eventually, recorded, recording_handler, running_consumer
from servicekit.testing.events import Pinged
from servicekit.testing.messages import pinged, publish, queue_counts


async def dead_count(infra, topology) -> int:
    return (await queue_counts(infra.amqp_url, topology.dead_letter_queue_name("contact")))[0]


@pytest.mark.parametrize("queue_type", ["quorum", "classic"])
async def test_a_dead_letter_is_shown_left_in_place_and_replayed_to_be_applied_once(
    infra, topology, consumer_sessions, office_id, queue_type
):
    topology = dataclasses.replace(topology, queue_type=queue_type)
    event, other = pinged(office_id, "flaky"), pinged(office_id, "other")
    # Fails on every try the consumer gives it until it is mended: only a replay applies it.
    handler, broken = recording_handler("contact"), {"now": True}

    async def flaky_only(env, uow):
        if env.payload["note"] == "flaky":
            await handler(env, uow)
            if broken["now"]:
                raise RuntimeError("handler told to fail")

    handlers = {Pinged.event_type: flaky_only}
    async with running_consumer(
        amqp_url=infra.amqp_url, topology=topology, session_factory=consumer_sessions, handlers=handlers
    ):
        await publish(infra.amqp_url, topology, event)
        await eventually(lambda: dead_count(infra, topology), within=15)
        broken["now"] = False
        # A second dead letter, put there by hand: the replay below selects by id and leaves it.
        connection = await aio_pika.connect(infra.amqp_url)
        async with connection:
            channel = await connection.channel()
            await channel.default_exchange.publish(
                aio_pika.Message(b'{"id": "%s", "type": "customer.pinged"}' % other["id"].encode()),
                routing_key=topology.dead_letter_queue_name("contact"),
            )
            for _ in range(2):  # looking twice changes nothing
                letters = await dead_letters.peek(connection, topology, "contact", limit=10)
                assert [letter.event_id for letter in letters] == [event["id"], other["id"]]
            first = letters[0]
            assert first.event_type == "customer.pinged"
            assert first.office_id == office_id
            assert first.attempts == topology.max_attempts
            assert "handler told to fail" in first.reason
            assert letters[1].reason == "unknown"
            assert letters[1].envelope is not None
            assert await dead_count(infra, topology) == 2

            replayed = await dead_letters.replay(
                connection, topology, "contact", dead_letters.with_ids([event["id"]])
            )
            assert [letter.event_id for letter in replayed] == [event["id"]]
            rows = await eventually(lambda: recorded(consumer_sessions, office_id), within=15)
            assert [str(row.event_id) for row in rows] == [event["id"]]
            remaining = await dead_letters.peek(connection, topology, "contact", limit=10)
            assert [letter.event_id for letter in remaining] == [other["id"]]

            # The same event replayed again (a crash between copy and acknowledgement would do this)
            # finds its inbox row: still applied once.
            await channel.default_exchange.publish(
                aio_pika.Message(first.body, headers=first.headers),
                routing_key=topology.dead_letter_queue_name("contact"),
            )
            again = await dead_letters.replay(
                connection, topology, "contact", dead_letters.with_ids([event["id"]])
            )
            assert len(again) == 1
            await asyncio.sleep(0.5)
            rows = await recorded(consumer_sessions, office_id)
            assert [str(row.event_id) for row in rows] == [event["id"]]

            purged = await dead_letters.purge(connection, topology, "contact")
            assert [letter.event_id for letter in purged] == [other["id"]]
            assert await dead_count(infra, topology) == 0


async def test_a_replay_onto_a_queue_that_is_gone_keeps_the_dead_letter(infra, topology, office_id):
    await publish(infra.amqp_url, topology)  # declares the topology
    connection = await aio_pika.connect(infra.amqp_url)
    async with connection:
        channel = await connection.channel()
        await channel.default_exchange.publish(
            aio_pika.Message(b'{"id": "e-1"}'), routing_key=topology.dead_letter_queue_name("contact")
        )
        await channel.queue_delete(topology.queue_name("contact"))
        with pytest.raises(aio_pika.exceptions.DeliveryError):
            await dead_letters.replay(connection, topology, "contact")
    assert await dead_count(infra, topology) == 1
