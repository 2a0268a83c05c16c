"""A consuming service is bound to its entry in contracts.routing.SUBSCRIPTIONS, and it does not start
when that entry and its handlers disagree."""

from __future__ import annotations

from pathlib import Path

import pytest

from contracts.routing import SUBSCRIPTIONS
from servicekit.app import build_runtime, create_service_app
from servicekit.settings import ServiceSettings
from servicekit.subscriptions import SubscriptionMismatch, subscribed_patterns
from servicekit.unit_of_work import UnitOfWork

SUBSCRIBED = {"contact": ("customer.*",), "search": ("customer.*", "category.*")}


async def ignore(envelope: object, uow: UnitOfWork) -> None:
    """A handler that does nothing: these tests are about wiring."""


def settings_of(service_name: str) -> ServiceSettings:
    return ServiceSettings(
        service_name=service_name,
        port=8000,
        database_url=f"postgresql+asyncpg://{service_name}:{service_name}@127.0.0.1:5432/{service_name}",
    )


def mismatch(service_name: str, handled: set[str]) -> str:
    with pytest.raises(SubscriptionMismatch) as raised:
        subscribed_patterns(service_name, handled, subscriptions=SUBSCRIBED)
    return str(raised.value)


def test_a_service_whose_handlers_its_patterns_route_gets_exactly_those_patterns():
    handled = {"customer.created", "category.deleted"}
    assert subscribed_patterns("search", handled, subscriptions=SUBSCRIBED) == ("customer.*", "category.*")


def test_a_service_that_neither_handles_nor_subscribes_consumes_nothing():
    assert subscribed_patterns("customer", set(), subscriptions=SUBSCRIBED) == ()


def test_a_handler_for_an_event_no_subscribed_pattern_routes_is_refused():
    message = mismatch("contact", {"customer.created", "category.created"})
    assert "a handler takes 'category.created', but no subscribed pattern routes it here" in message
    assert "SUBSCRIPTIONS['contact'] = ('customer.*',)" in message


def test_a_pattern_that_routes_no_handled_event_type_is_refused():
    message = mismatch("search", {"customer.created"})
    assert "the pattern 'category.*' routes no event type the service handles" in message
    assert "'customer.*' routes no" not in message


def test_a_subscribed_service_without_handlers_is_refused():
    assert "the service is subscribed but has no handlers" in mismatch("contact", set())


def test_handlers_of_a_service_without_a_subscription_are_refused():
    assert "the service has handlers but no patterns in SUBSCRIPTIONS" in mismatch(
        "customer", {"customer.created"}
    )


def test_a_handler_for_an_event_type_no_contract_declares_is_refused():
    # `customer.*` would route the misspelt type, but nobody ever publishes it.
    message = mismatch("contact", {"customer.created", "customer.craeted"})
    assert "a handler takes 'customer.craeted', which no contract in EVENT_TYPES declares" in message


def test_building_the_app_fails_at_once_when_handlers_and_subscription_disagree():
    with pytest.raises(SubscriptionMismatch, match=r"'category\.created', but no subscribed pattern"):
        create_service_app(
            settings_of("contact"),
            title="Contact service",
            description="",
            routers=[],
            migrations=Path("migrations"),
            publishes=True,
            handlers={"customer.created": ignore, "category.created": ignore},
        )
    with pytest.raises(SubscriptionMismatch, match="no handlers"):
        build_runtime(settings_of("contact"), publishes=True)


def test_the_consumer_of_a_service_is_bound_to_its_entry_in_subscriptions():
    runtime = build_runtime(settings_of("contact"), publishes=False, handlers={"customer.updated": ignore})
    assert runtime.consumer is not None
    assert runtime.consumer.patterns == SUBSCRIPTIONS["contact"]
