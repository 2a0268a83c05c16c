"""The events the contact service consumes (its queue's bindings come from contracts.routing.SUBSCRIPTIONS):
every `customer.*` keeps the local customer copy, and a deleted customer's contacts are deleted with it."""

from __future__ import annotations

from contact.service.cascade import follow_customer
from servicekit.handlers import Handler
from servicekit.local_copies import CUSTOMERS, copy_handlers

HANDLERS: dict[str, Handler] = {**copy_handlers(CUSTOMERS, on_change=follow_customer)}
