"""What the customer service consumes: `contact.*`, to know the contacts of each customer.

An address may name a contact person (`contact_id`), who must be a contact of that customer; the kit's
contact copy (`servicekit.local_copies.CONTACTS`) answers that. When a contact is deleted, the addresses
that named it lose it, as a change of the customer with its history line and `customer.updated` event.
"""

from __future__ import annotations

from contracts.contact import ContactState
from customer.service import addresses
from servicekit.handlers import Handler
from servicekit.local_copies import CONTACTS, CopyChange, copy_handlers
from servicekit.unit_of_work import UnitOfWork


async def contact_changed(change: CopyChange[ContactState], uow: UnitOfWork) -> None:
    if change.deleted:
        await addresses.forget_contact(uow, change.state.customer_id, change.state.id)


HANDLERS: dict[str, Handler] = {**copy_handlers(CONTACTS, on_change=contact_changed)}
