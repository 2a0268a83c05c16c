"""A consuming service's queue bindings: its entry in ``contracts.routing.SUBSCRIPTIONS``, checked at start-up.

Rule: a service's queue is bound to exactly the patterns ``SUBSCRIPTIONS`` lists for it, and those
patterns and the service's handlers must agree: every handled event type is a declared contract that some
pattern routes to the queue; every pattern routes at least one handled type; a service listed there has
handlers, and a service with handlers is listed. Anything else stops the service while it is built.

Reason: the topology is written in one place, which publishers also read to declare every subscriber's
queue (``bus.declare_topology``), so it cannot differ between the two ends. A handler that no binding
feeds would silently never run, and a binding no handler takes fills the queue with events that are
acknowledged and dropped; both are wiring mistakes that cost nothing to find at start-up and a lot to
find in production.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

from contracts.envelope import EventPayload
from contracts.routing import EVENT_TYPES, SUBSCRIPTIONS, topic_matches


class SubscriptionMismatch(Exception):
    """A service's handlers and its entry in ``contracts.routing.SUBSCRIPTIONS`` disagree."""


def subscribed_patterns(
    service_name: str,
    handled_event_types: Collection[str],
    *,
    subscriptions: Mapping[str, Sequence[str]] = SUBSCRIPTIONS,
    event_types: Mapping[str, type[EventPayload]] = EVENT_TYPES,
) -> tuple[str, ...]:
    """The routing-key patterns to bind the service's queue to; raises ``SubscriptionMismatch`` naming
    every disagreement between them and the event types the service has handlers for."""
    patterns = tuple(subscriptions.get(service_name, ()))
    if not patterns and not handled_event_types:
        return ()  # a service that consumes nothing
    problems: list[str] = []
    if not patterns:
        problems.append("the service has handlers but no patterns in SUBSCRIPTIONS")
    elif not handled_event_types:
        problems.append("the service is subscribed but has no handlers")
    for event_type in sorted(handled_event_types):
        if event_type not in event_types:
            problems.append(f"a handler takes {event_type!r}, which no contract in EVENT_TYPES declares")
        elif patterns and not any(topic_matches(pattern, event_type) for pattern in patterns):
            problems.append(f"a handler takes {event_type!r}, but no subscribed pattern routes it here")
    if handled_event_types:
        for pattern in patterns:
            if not any(topic_matches(pattern, event_type) for event_type in handled_event_types):
                problems.append(f"the pattern {pattern!r} routes no event type the service handles")
    if problems:
        raise SubscriptionMismatch(
            f"the {service_name} service's handlers disagree with contracts.routing.SUBSCRIPTIONS"
            f"[{service_name!r}] = {patterns!r}:\n" + "\n".join(f"- {problem}" for problem in problems)
        )
    return patterns
