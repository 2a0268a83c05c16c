"""How a batch is cut into handler calls, and the limits that keep the broker feeding the consumer."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

import pytest
from pydantic import ValidationError

from contracts import Actor, EventEnvelope
from servicekit.app import build_runtime
from servicekit.batches import Delivery, handler_calls
from servicekit.bus import Bus, Topology
from servicekit.consumer import EventConsumer
from servicekit.handlers import ALL_APPLIED, BatchOutcome
from servicekit.settings import ServiceSettings
from servicekit.unit_of_work import UnitOfWork


async def per_event(envelope: EventEnvelope[Any], uow: UnitOfWork) -> None:
    pass


class Bulk:
    async def apply_batch(self, events: Sequence[EventEnvelope[Any]], uow: UnitOfWork) -> BatchOutcome:
        return ALL_APPLIED


def delivery(position: int, handler: Any) -> Delivery:
    envelope = EventEnvelope[dict[str, Any]](
        type="customer.pinged",
        schema_version=1,
        office_id="o",
        aggregate_id=uuid.uuid4(),
        aggregate_version=1,
        correlation_id="c",
        actor=Actor(kind="service", id="test"),
        payload={},
    )
    return Delivery(position, envelope, handler, attempt=1, last_try=False)


def test_a_per_event_handler_gets_each_event_alone_and_a_batch_handler_each_run_of_its_events():
    bulk, other_bulk = Bulk(), Bulk()
    handlers = [bulk, bulk, per_event, per_event, bulk, other_bulk, other_bulk, bulk]
    deliveries = [delivery(n, handler) for n, handler in enumerate(handlers)]

    calls = handler_calls(deliveries)

    assert [[d.position for d in call] for _, call in calls] == [[0, 1], [2], [3], [4], [5, 6], [7]]
    assert [handler for handler, _ in calls] == [bulk, per_event, per_event, bulk, other_bulk, bulk]


def test_prefetch_must_exceed_the_batch_or_the_next_batch_would_wait_for_this_ones_acknowledgement():
    bus = Bus("amqp://nowhere", Topology(exchange="x"))
    with pytest.raises(ValueError, match="prefetch must exceed batch_size"):
        EventConsumer(
            service_name="contact",
            handlers={},
            patterns=(),
            session_factory=None,  # type: ignore[arg-type]
            bus=bus,
            prefetch=50,
            batch_size=50,
        )
    with pytest.raises(ValidationError, match="CONSUMER_PREFETCH must exceed CONSUMER_BATCH_SIZE"):
        ServiceSettings(
            service_name="contact", port=8002, database_url="postgresql+asyncpg://x", consumer_batch_size=200
        )


def test_a_service_consumer_takes_its_batch_size_and_prefetch_from_the_settings():
    settings = ServiceSettings(
        service_name="contact",
        port=8002,
        database_url="postgresql+asyncpg://contact:contact@127.0.0.1:5432/contact",
        consumer_batch_size=20,
        consumer_prefetch=80,
    )
    runtime = build_runtime(settings, publishes=False, handlers={"customer.created": per_event})
    assert runtime.consumer is not None
    assert (runtime.consumer.batch_size, runtime.consumer.prefetch) == (20, 80)
