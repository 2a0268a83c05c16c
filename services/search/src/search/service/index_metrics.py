"""Metrics of the index (SPEC §6: index lag is a metric), beside the kit's consumer lag and DLQ size.

- `search_index_newest_event_timestamp_seconds`: when the newest event applied to the index occurred;
  the index lag is `time() - ` this, and grows while nothing is applied (alert on it with the queue depth).
- `search_index_lag_seconds`: how old the newest event of the last applied batch was when OpenSearch
  took it (the delay from a change to its being searchable, less the refresh interval).
- `search_index_documents`: customer documents in the index, counted every `COUNT_EVERY_S`.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from typing import Any

from prometheus_client import Gauge

from contracts import EventEnvelope
from search.adapters.opensearch import SearchIndex

log = logging.getLogger(__name__)

NEWEST_APPLIED = Gauge(
    "search_index_newest_event_timestamp_seconds",
    "When the newest event applied to the search index occurred (index lag = time() - this)",
    ["service"],
)
INDEX_LAG = Gauge(
    "search_index_lag_seconds", "Age of the newest event of the last applied batch when indexed", ["service"]
)
DOCUMENTS = Gauge("search_index_documents", "Customer documents in the search index", ["service"])
COUNT_EVERY_S = 30.0
_newest: dict[str, float] = {}


def applied(service: str, events: Sequence[EventEnvelope[Any]]) -> None:
    """Record that these events reached the index."""
    newest = max(event.occurred_at.timestamp() for event in events)
    INDEX_LAG.labels(service).set(max(0.0, time.time() - newest))
    _newest[service] = max(newest, _newest.get(service, 0.0))
    NEWEST_APPLIED.labels(service).set(_newest[service])


async def count_documents(index: SearchIndex, service: str) -> None:
    """Keep the document count current until cancelled; OpenSearch away is only logged."""
    while True:
        try:
            answer = await index.call("count", index=index.alias)
            DOCUMENTS.labels(service).set(answer["count"])
        except Exception as exc:
            log.debug("could not count the index's documents: %s", exc)
        await asyncio.sleep(COUNT_EVERY_S)
