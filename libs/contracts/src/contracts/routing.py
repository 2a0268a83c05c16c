"""Who publishes and who consumes what on the topic exchange: the one place the bus topology is written.

The routing key of an event is its type. Every consuming service owns one durable queue bound to the
keys it needs; publishers declare all these queues too, so an event published before its consumer has
ever started waits in the consumer's queue instead of being unroutable.
"""

from __future__ import annotations

from functools import lru_cache

from contracts.activity import ACTIVITY_EVENTS
from contracts.category import CATEGORY_EVENTS
from contracts.contact import CONTACT_EVENTS
from contracts.customer import CUSTOMER_EVENTS
from contracts.envelope import EventPayload
from contracts.portal import PORTAL_EVENTS

DEFAULT_EXCHANGE = "crm.events"

EVENT_TYPES: dict[str, type[EventPayload]] = {
    event.event_type: event
    for event in (*CUSTOMER_EVENTS, *CATEGORY_EVENTS, *CONTACT_EVENTS, *ACTIVITY_EVENTS, *PORTAL_EVENTS)
}
"""Every event type on the bus and its payload model."""

PUBLISHERS: dict[str, tuple[str, ...]] = {
    "customer": ("customer.*", "category.*"),
    "contact": ("contact.*",),
    "activity": ("activity.*",),
    "portal": ("portal.*",),
}
"""Routing-key patterns each service publishes."""

SUBSCRIPTIONS: dict[str, tuple[str, ...]] = {
    "customer": ("contact.*",),
    "contact": ("customer.*",),
    "activity": ("customer.*", "contact.*"),
    "search": ("customer.*", "contact.*", "category.*"),
    # The portal's mail sender sends the mails its own requests stand for.
    "portal": ("customer.*", "contact.*", "portal.invitation_requested", "portal.password_reset_requested"),
}
"""Routing-key patterns each consuming service's queue is bound to (SPEC §1)."""


@lru_cache(maxsize=256)
def is_subscribed(event_type: str) -> bool:
    """Whether some service's queue is bound to this event type (an activity event, for one, has no
    consumer yet: it is published for whoever binds to it later, such as `crm events watch`)."""
    return any(
        topic_matches(pattern, event_type) for patterns in SUBSCRIPTIONS.values() for pattern in patterns
    )


def topic_matches(pattern: str, routing_key: str) -> bool:
    """Whether a topic exchange routes `routing_key` to a binding with `pattern`, as RabbitMQ does:
    words are separated by dots, `*` stands for exactly one word and `#` for zero or more."""
    return _words_match(pattern.split("."), routing_key.split("."))


def _words_match(pattern: list[str], words: list[str]) -> bool:
    if not pattern:
        return not words
    first, rest = pattern[0], pattern[1:]
    if first == "#":
        return any(_words_match(rest, words[skipped:]) for skipped in range(len(words) + 1))
    return bool(words) and first in ("*", words[0]) and _words_match(rest, words[1:])


def payload_model(event_type: str) -> type[EventPayload]:
    """The payload model of an event type; KeyError for a type nobody declared."""
    return EVENT_TYPES[event_type]
