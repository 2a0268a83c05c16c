"""The events the search service consumes (its queue's bindings come from contracts.routing.SUBSCRIPTIONS):
every customer.*, contact.* and category.* type goes to one batch handler, so a whole batch is one call
and one OpenSearch bulk request (`search.service.indexing`)."""

from __future__ import annotations

from contracts.routing import EVENT_TYPES, SUBSCRIPTIONS, topic_matches
from search.service.indexing import CustomerIndexer
from servicekit.handlers import Handler


def handlers(indexer: CustomerIndexer) -> dict[str, Handler]:
    return {
        event_type: indexer
        for event_type in EVENT_TYPES
        if any(topic_matches(pattern, event_type) for pattern in SUBSCRIPTIONS["search"])
    }
