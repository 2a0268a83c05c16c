"""What `crm status` reads from a metrics page, and how the commands print a broker URL."""

from __future__ import annotations

import httpx

from crm.reach import without_password
from crm.status import _failing_checks, _index_lag, read_metrics

PAGE = """\
# HELP outbox_backlog Events in the outbox waiting to be published
# TYPE outbox_backlog gauge
outbox_backlog{service="customer"} 12.0
# HELP consumer_lag_messages Messages waiting in a consumer's queue
# TYPE consumer_lag_messages gauge
consumer_lag_messages{queue="crm.events.customer",service="customer"} 3.0
consumer_lag_messages{queue="crm.events.other",service="other"} 99.0
# HELP search_index_lag_seconds Age of the newest event
# TYPE search_index_lag_seconds gauge
search_index_lag_seconds{service="search"} 0.25
"""


def test_only_the_services_own_samples_are_read():
    assert read_metrics(PAGE, "customer") == {"outbox_backlog": 12.0, "consumer_lag_messages": 3.0}
    assert read_metrics(PAGE, "search") == {"search_index_lag_seconds": 0.25}


def test_the_index_lag_says_how_old_the_newest_indexed_event_is():
    assert _index_lag({}, 1000.0) == "-"
    metrics = {"search_index_lag_seconds": 0.25, "search_index_newest_event_timestamp_seconds": 940.0}
    assert _index_lag(metrics, 1000.0) == "0.2 s (newest event 60 s old)"


def test_a_password_in_a_url_is_never_printed():
    assert (
        without_password("amqp://app:s3cret@mq.internal:5671/vhost")
        == "amqp://app:***@mq.internal:5671/vhost"
    )
    assert without_password("amqp://127.0.0.1/") == "amqp://127.0.0.1/"


def test_a_service_not_ready_says_which_dependency_is_missing():
    answer = httpx.Response(
        503, json={"status": "not ready", "checks": {"database": "ok", "broker": "unreachable"}}
    )
    assert _failing_checks(answer) == "broker: unreachable"
    assert _failing_checks(httpx.Response(502, text="<html>Bad gateway</html>")) == "/readyz answered 502"
