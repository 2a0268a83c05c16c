"""Address use cases: each changes the customer's addresses, so it is a customer change with its event.

An address that names a contact person names a contact of its customer (`checks.check_address_contacts`),
and loses it when that contact is deleted (`forget_contact`, on the contact's `contact.deleted`).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime

from contracts.customer import CustomerUpdated
from customer.adapters import repository
from customer.domain import addresses as rules
from customer.domain.addresses import Address, Addresses
from customer.domain.commands import AddAddress, ChangeAddress, RemoveAddress
from customer.domain.customer import Customer, with_addresses
from customer.service.checks import check_address_contacts
from customer.service.customers import load_for_change
from customer.service.recording import record_change
from domainkit import sent_fields
from servicekit.auth import OfficeUser
from servicekit.etag import check_version
from servicekit.local_copies import LocalCopies
from servicekit.unit_of_work import UnitOfWork


async def _change_addresses(
    uow: UnitOfWork,
    user: OfficeUser,
    copies: LocalCopies,
    customer_id: uuid.UUID,
    expected_version: int | None,
    change: Callable[[Addresses], Addresses],
) -> Customer:
    customer = await load_for_change(uow, user, customer_id)
    check_version(customer.version, expected_version)
    updated = with_addresses(
        customer, change(customer.addresses), changed_by=user.subject, now=datetime.now(UTC)
    )
    if updated is not customer:
        await check_address_contacts(uow, copies, user.office_id, customer, updated, lambda _: "contact_id")
        await repository.save(uow.session, customer, updated)
        await record_change(uow, customer, updated, CustomerUpdated)
    return updated


async def add_address(
    uow: UnitOfWork, user: OfficeUser, command: AddAddress, copies: LocalCopies
) -> tuple[Customer, Address]:
    address = Address(id=uuid.uuid4(), **sent_fields(command.address))
    customer = await _change_addresses(
        uow,
        user,
        copies,
        command.customer_id,
        command.expected_version,
        lambda current: rules.add_address(current, address),
    )
    return customer, rules.find(customer.addresses, address.id)


async def change_address(
    uow: UnitOfWork, user: OfficeUser, command: ChangeAddress, copies: LocalCopies
) -> Customer:
    changes = sent_fields(command.changes)
    return await _change_addresses(
        uow,
        user,
        copies,
        command.customer_id,
        command.expected_version,
        lambda current: rules.change_address(current, command.address_id, changes),
    )


async def remove_address(
    uow: UnitOfWork, user: OfficeUser, command: RemoveAddress, copies: LocalCopies
) -> Customer:
    return await _change_addresses(
        uow,
        user,
        copies,
        command.customer_id,
        command.expected_version,
        lambda current: rules.remove_address(current, command.address_id),
    )


async def forget_contact(uow: UnitOfWork, customer_id: uuid.UUID, contact_id: uuid.UUID) -> None:
    """A deleted contact leaves the addresses that named it; the change is the consuming service's
    (its actor), with its history line and `customer.updated`. Nothing happens when no address named it
    or the customer is gone."""
    customer = await repository.get_any_office(uow.session, customer_id, for_update=True)
    if customer is None:
        return
    addresses = tuple(
        replace(address, contact_id=None) if address.contact_id == contact_id else address
        for address in customer.addresses
    )
    updated = with_addresses(customer, addresses, changed_by=uow.actor.id, now=datetime.now(UTC))
    if updated is not customer:
        await repository.save(uow.session, customer, updated)
        await record_change(uow, customer, updated, CustomerUpdated)
