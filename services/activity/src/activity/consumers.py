"""The events the activity service consumes (its queue's bindings come from contracts.routing), in one place.

It keeps copies of customers and contacts (`servicekit.local_copies`), which the activities it logs must
name, and cleans up after their deletion (`service.cascades`).
"""

from __future__ import annotations

from activity.service import cascades
from servicekit.handlers import Handler
from servicekit.local_copies import CONTACTS, CUSTOMERS, copy_handlers

HANDLERS: dict[str, Handler] = {
    **copy_handlers(CUSTOMERS, on_change=cascades.customer_changed),
    **copy_handlers(CONTACTS, on_change=cascades.contact_changed),
}
