"""What the contact service does when a customer changes in the customer service: a deleted customer takes
its contacts with it (SPEC §4), each with its own `contact.deleted`.

It runs as the `on_change` of the customer copy (`servicekit.local_copies.copy_handlers`), which calls it
only when an event changed the copy: a `customer.deleted` delivered twice, or arriving before older events
of its customer, deletes the contacts once, and those older events change nothing after it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from contact.adapters import repository
from contact.domain import contact as rules
from contact.service.recording import record_change
from contracts.contact import ContactDeleted
from servicekit.local_copies import CopyChange
from servicekit.unit_of_work import UnitOfWork


async def follow_customer(change: CopyChange[Any], uow: UnitOfWork) -> None:
    """React to a change of a customer's copy: delete the contacts of a deleted customer, in every office
    (a global customer has contacts in several)."""
    if not change.deleted:
        return
    contacts = await repository.of_customer_in_every_office(uow.session, change.state.id)
    if not contacts:
        return
    await repository.remove(uow.session, [contact.id for contact in contacts])
    # The last state names who deleted the customer as the contact's last editor.
    deleted_by, now = change.event.actor.id, datetime.now(UTC)
    for contact in contacts:
        last_state = rules.mark_deleted(contact, changed_by=deleted_by, now=now)
        record_change(uow, last_state, ContactDeleted, caused_by=change.event)
