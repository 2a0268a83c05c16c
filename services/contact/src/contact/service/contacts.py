"""Contact use cases. Each changes state and records its events in the unit of work it is given open; the
caller (`servicekit.transactions`) commits.

A contact attaches only to a customer the caller's office sees (its own, or a global one), as the local
customer copy knows it; a customer whose event has not arrived yet is read once from the customer service
(`servicekit.local_copies`). Making a contact main takes the mark from the customer's previous main
contact in the same transaction, each change with its own event.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from contact.adapters import repository
from contact.domain import contact as rules
from contact.domain.commands import ChangeContactState, ContactDetails, CreateContact, UpdateContact
from contact.domain.contact import Contact, ContactAndCustomer
from contact.domain.reachability import normalise_email, normalise_phone
from contact.service.recording import ContactEvent, record_change
from contracts.contact import (
    ContactCreated,
    ContactDeactivated,
    ContactDeleted,
    ContactReactivated,
    ContactUpdated,
)
from domainkit import Conflict, InvalidField, NotFound, sent_fields
from servicekit.auth import OfficeUser
from servicekit.etag import check_version
from servicekit.local_copies import CUSTOMERS, LocalCopies
from servicekit.unit_of_work import UnitOfWork


def _now() -> datetime:
    return datetime.now(UTC)


async def load_for_change(uow: UnitOfWork, user: OfficeUser, contact_id: uuid.UUID) -> ContactAndCustomer:
    """The contact, locked for this transaction; 404 when it is not of the user's office."""
    found = await repository.get(uow.session, contact_id, user.office_id, for_update=True)
    if found is None:
        raise NotFound(f"No contact {contact_id} in your office.")
    return found


def _values(details: ContactDetails, current: Contact | None, region: str | None) -> dict[str, Any]:
    """The sent fields in the form they are kept: email and phone normalised (blank is none), lists
    without repeats, external ids merged into the current ones."""
    values: dict[str, Any] = {}
    for name, value in sent_fields(details).items():
        match name:
            case "email":
                values[name] = normalise_email(value) if value else None
            case "phone":
                values[name] = normalise_phone(value, region) if value else None
            case "roles" | "keywords":
                values[name] = tuple(dict.fromkeys(value))
            case "external_ids":
                values[name] = rules.merge_external_ids(current.external_ids if current else {}, value)
            case _:
                values[name] = value
    return values


async def create_contact(
    uow: UnitOfWork, user: OfficeUser, copies: LocalCopies, command: CreateContact
) -> ContactAndCustomer:
    customer = await copies.customer(uow.session, command.customer_id, user.office_id)
    if customer is None:
        raise InvalidField("customer_id", f"no customer {command.customer_id} in your office")
    values = _values(command.details, None, customer.country)
    for required in ("first_name", "last_name"):
        if required not in values:
            raise InvalidField(required, "is required")
    contact = rules.new_contact(
        office_id=user.office_id,
        customer_id=customer.id,
        created_by=user.subject,
        now=_now(),
        **values,
    )
    await _check_external_ids_free(uow, contact)
    if rules.takes_main(None, contact):
        await _hand_over_main(uow, user, contact)
    await repository.add(uow.session, contact)
    record_change(uow, contact, ContactCreated)
    return ContactAndCustomer(contact, customer.active)


async def update_contact(
    uow: UnitOfWork, user: OfficeUser, copies: LocalCopies, command: UpdateContact
) -> ContactAndCustomer:
    found = await load_for_change(uow, user, command.contact_id)
    contact = found.contact
    check_version(contact.version, command.expected_version)
    region = None
    if command.details.phone:
        # The customer's country, as the copy knows it now, reads a national number.
        customer = await copies.find(uow.session, CUSTOMERS, contact.customer_id)
        region = customer.country if customer is not None else None
    values = _values(command.details, contact, region)
    updated, changed = rules.apply_changes(contact, values, changed_by=user.subject, now=_now())
    if not changed:
        return found
    if "external_ids" in changed:
        await _check_external_ids_free(uow, updated)
    if rules.takes_main(contact, updated):
        await _hand_over_main(uow, user, updated)
    await repository.save(uow.session, contact, updated)
    record_change(uow, updated, ContactUpdated, changed)
    return ContactAndCustomer(updated, found.customer_active)


async def _check_external_ids_free(uow: UnitOfWork, contact: Contact) -> None:
    held = await repository.holder_of_external_id(
        uow.session, contact.office_id, contact.external_ids, other_than=contact.id
    )
    if held is not None:
        system, holder = held
        raise Conflict(
            f"The {system} id {contact.external_ids[system]} is already used by another contact of this "
            "office.",
            errors=[{"field": f"external_ids.{system}", "message": "is already used by another contact"}],
            contact_id=str(holder),
        )


async def _hand_over_main(uow: UnitOfWork, user: OfficeUser, new_main: Contact) -> None:
    """Take the main mark from whoever of the customer holds it, before `new_main` is written with it."""
    await repository.lock_main_of(uow.session, new_main.office_id, new_main.customer_id)
    holders = await repository.main_contacts_of(uow.session, new_main.office_id, new_main.customer_id)
    before = {holder.id: holder for holder in holders}
    for demoted in rules.hand_over_main(new_main, holders, changed_by=user.subject, now=new_main.updated_at):
        await repository.save(uow.session, before[demoted.id], demoted)
        record_change(uow, demoted, ContactUpdated, ["main"])


async def _transition(
    uow: UnitOfWork,
    user: OfficeUser,
    command: ChangeContactState,
    transition: rules.Transition,
    event: ContactEvent,
) -> ContactAndCustomer:
    found = await load_for_change(uow, user, command.contact_id)
    check_version(found.contact.version, command.expected_version)
    updated = transition(found.contact, changed_by=user.subject, now=_now())
    await repository.save(uow.session, found.contact, updated)
    record_change(uow, updated, event)
    return ContactAndCustomer(updated, found.customer_active)


async def deactivate_contact(
    uow: UnitOfWork, user: OfficeUser, command: ChangeContactState
) -> ContactAndCustomer:
    return await _transition(uow, user, command, rules.deactivate, ContactDeactivated)


async def reactivate_contact(
    uow: UnitOfWork, user: OfficeUser, command: ChangeContactState
) -> ContactAndCustomer:
    return await _transition(uow, user, command, rules.reactivate, ContactReactivated)


async def delete_contact(uow: UnitOfWork, user: OfficeUser, command: ChangeContactState) -> None:
    found = await load_for_change(uow, user, command.contact_id)
    check_version(found.contact.version, command.expected_version)
    last_state = rules.mark_deleted(found.contact, changed_by=user.subject, now=_now())
    await repository.remove(uow.session, [found.contact.id])
    record_change(uow, last_state, ContactDeleted)
