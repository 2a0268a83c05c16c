"""The events the portal service consumes (its queue's bindings come from contracts.routing.SUBSCRIPTIONS):
every `customer.*` and `contact.*` keeps the kit's local copies and runs the portal's reactions, and the
portal's own mail requests are turned into mail."""

from __future__ import annotations

from portal.service.context import Portal
from portal.service.mail import mail_handlers
from portal.service.reactions import follow_contact, follow_customer
from servicekit.handlers import Handler
from servicekit.local_copies import CONTACTS, CUSTOMERS, copy_handlers


def handlers(portal: Portal) -> dict[str, Handler]:
    return {
        **copy_handlers(CUSTOMERS, on_change=follow_customer),
        **copy_handlers(CONTACTS, on_change=follow_contact),
        **mail_handlers(portal),
    }
