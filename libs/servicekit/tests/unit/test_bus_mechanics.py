import json
import logging
from datetime import timedelta
from types import SimpleNamespace

import pytest

from servicekit.app import topology_from
from servicekit.bus import Topology
from servicekit.consumer import parse_envelope
from servicekit.context import correlation_id_var
from servicekit.logs import JsonFormatter
from servicekit.relay import publish_backoff, to_message
from servicekit.settings import ServiceSettings
from servicekit.testing.services import topology_environment


def test_queue_names_derive_from_the_exchange_so_tests_never_share_queues():
    topology = Topology(exchange="crm.events", retry_delays_ms=(100, 1000), max_attempts=4)
    assert topology.queue_name("search") == "crm.events.search"
    assert topology.dead_letter_queue_name("search") == "crm.events.search.dlq"
    assert topology.retry_queue_name("search", 2) == "crm.events.search.retry.2"
    # Tries beyond the listed delays wait the longest one.
    assert [topology.retry_delay_ms(n) for n in (1, 2, 3)] == [100, 1000, 1000]


def test_a_service_process_started_on_a_tests_topology_declares_exactly_the_queues_the_test_removes(
    monkeypatch: pytest.MonkeyPatch,
):
    # Started on the default attempts, it declared retry queues the test never removed: 1,060 of them
    # piled up in the broker until it could not reopen them all at boot.
    topology = Topology(exchange="test.abc", queue_type="classic", retry_delays_ms=(50, 100), max_attempts=3)
    for name, value in topology_environment(topology).items():
        monkeypatch.setenv(name, value)
    settings = ServiceSettings(service_name="ledger", port=8000, database_url="postgresql+asyncpg://x@h/d")
    assert topology_from(settings) == topology


def test_a_refused_event_waits_longer_each_time_up_to_five_minutes():
    assert [publish_backoff(n) for n in (1, 2, 3)] == [timedelta(seconds=s) for s in (1, 2, 4)]
    assert publish_backoff(30) == timedelta(minutes=5)


def test_a_published_message_carries_the_stored_envelope_and_its_id_type_and_correlation():
    envelope = {
        "id": "e1",
        "type": "customer.created",
        "correlation_id": "c1",
        "schema_version": 1,
        "office_id": "o1",
    }
    row = SimpleNamespace(
        event_id="e1",
        event_type="customer.created",
        correlation_id="c1",
        schema_version=1,
        office_id="o1",
        body=json.dumps(envelope),
    )
    message = to_message(row)  # type: ignore[arg-type]
    assert (message.message_id, message.type, message.correlation_id) == ("e1", "customer.created", "c1")
    assert message.headers == {"schema_version": 1, "office_id": "o1"}
    assert message.delivery_mode == 2  # persistent: survives a broker restart
    assert json.loads(message.body) == envelope


PINGED = json.dumps(
    {
        "id": "8c8a8f2e-9a57-4c55-9d2b-6f2b3a2f9d11",
        "type": "customer.pinged",
        "schema_version": 1,
        "occurred_at": "2026-11-23T10:00:00Z",
        "office_id": "o",
        "aggregate_id": "8c8a8f2e-9a57-4c55-9d2b-6f2b3a2f9d12",
        "aggregate_version": 1,
        "correlation_id": "c",
        "actor": {"kind": "service", "id": "t"},
        "payload": {"note": "hi"},
    }
).encode()
"""An event of a type no contract knows."""


def test_an_event_of_an_unknown_type_is_parsed_with_its_payload_as_data():
    assert parse_envelope(PINGED).payload == {"note": "hi"}


def test_a_wrong_type_hint_never_decides_how_an_event_is_read():
    # The message's `type` property saves a parse when it is right; the body decides when it is not.
    for hint in ("customer.created", "customer.deleted", "no.such.type", None):
        envelope = parse_envelope(PINGED, hint)
        assert envelope.type == "customer.pinged"
        assert envelope.payload == {"note": "hi"}


def test_json_logs_carry_the_correlation_id():
    token = correlation_id_var.set("trace-9")
    try:
        record = logging.LogRecord("x", logging.INFO, __file__, 1, "hello %s", ("you",), None)
        record.customer_id = "c-1"
        line = json.loads(JsonFormatter("customer").format(record))
    finally:
        correlation_id_var.reset(token)
    assert line["message"] == "hello you"
    assert line["correlation_id"] == "trace-9"
    assert line["service"] == "customer"
    assert line["customer_id"] == "c-1"
