"""Customer use cases. Each changes state, writes its history and records its event in the unit of work it
is given open; the caller (`servicekit.transactions`) commits.

Global customers (SPEC §2) are shared: every office reads them and edits their ordinary fields, but only an
office admin of the customer's home office renumbers one, deletes it or makes it local again. Their numbers
come from one organisation-wide counter and never equal a number of any office's own customers.
"""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, datetime

from contracts.customer import (
    CustomerCreated,
    CustomerDeactivated,
    CustomerDeleted,
    CustomerReactivated,
    CustomerUpdated,
)
from customer.adapters import link_repository, repository, settings_repository
from customer.domain import addresses as address_rules
from customer.domain import customer as rules
from customer.domain.addresses import Address, Addresses
from customer.domain.commands import (
    AddressDetails,
    ChangeCustomerState,
    CreateCustomer,
    CustomerDetails,
    SyncCustomer,
    UpdateCustomer,
)
from customer.domain.customer import Customer, Transition
from customer.domain.history import FieldChange
from customer.domain.numbering import format_number, sequence_scope
from customer.domain.settings import OfficeSettings, check_customer_number
from customer.service.checks import check_address_contacts, checked_values
from customer.service.recording import CustomerEvent, record_change
from domainkit import NOT_SENT, Conflict, InvalidField, NotAllowed, NotFound, sent_fields
from servicekit.auth import OfficeUser
from servicekit.etag import check_version
from servicekit.local_copies import LocalCopies
from servicekit.unit_of_work import UnitOfWork

_MAX_NUMBER_DRAWS = 1000
_ADMIN = "administer_office"


def _now() -> datetime:
    return datetime.now(UTC)


async def load_for_change(uow: UnitOfWork, user: OfficeUser, customer_id: uuid.UUID) -> Customer:
    """The customer, locked for this transaction; 404 when the user's office cannot see it."""
    customer = await repository.get(uow.session, customer_id, user.office_id, for_update=True)
    if customer is None:
        raise NotFound(f"No customer {customer_id} in your office.")
    return customer


async def create_customer(
    uow: UnitOfWork,
    user: OfficeUser,
    command: CreateCustomer,
    copies: LocalCopies,
    *,
    draw_number: bool = True,
) -> Customer:
    """`draw_number=False` (an import's dry run, rolled back) leaves an automatic number undrawn: a
    sequence's value once drawn stays drawn, and a dry run must leave no trace."""
    details = command.details
    if details.name is NOT_SENT:
        raise InvalidField("name", "is required")
    settings = await settings_repository.get(uow.session, user.office_id)
    is_global = details.is_global is True
    if is_global and not user.is_admin:
        raise NotAllowed("Only an office admin creates global customers.", permission=_ADMIN)
    number: str | None
    if isinstance(details.customer_number, str):
        number = details.customer_number
        check_customer_number(number, settings)
        await _claim_number(uow, settings.office_id, number, is_global=is_global)
    elif settings.customer_numbering == "manual":
        raise InvalidField("customer_number", "is required: this office numbers its customers by hand")
    elif draw_number:
        number = await _draw_free_number(uow, settings, is_global=is_global)
    else:
        number = None
    values = await checked_values(uow, settings, None, details)
    customer = rules.new_customer(
        office_id=settings.office_id, customer_number=number, created_by=user.subject, now=_now(), **values
    )
    if details.addresses is not NOT_SENT:
        customer = replace(customer, addresses=address_set(details.addresses, ()))
        await check_address_contacts(uow, copies, user.office_id, None, customer)
    await repository.add(uow.session, customer)
    await record_change(uow, None, customer, CustomerCreated)
    return customer


async def _draw_free_number(uow: UnitOfWork, settings: OfficeSettings, *, is_global: bool) -> str:
    # A number typed in by hand may already hold the counter's next value; skip past it.
    scope = sequence_scope(settings.office_id, is_global=is_global)
    for _ in range(_MAX_NUMBER_DRAWS):
        number = format_number(
            await repository.next_number(uow.session, scope), settings.customer_number_min_length
        )
        if len(number) > settings.customer_number_max_length:
            raise Conflict(
                f"This office's customer numbers are used up: the next one, {number}, is longer than the "
                f"maximum of {settings.customer_number_max_length} characters. An office admin can raise "
                "customer_number_max_length in the settings.",
                errors=[{"field": "customer_number", "message": "no free number within the maximum length"}],
            )
        if await repository.number_is_free(uow.session, settings.office_id, number, everywhere=is_global):
            return number
    raise Conflict(
        f"No free customer number found in {_MAX_NUMBER_DRAWS} draws; check the numbering settings."
    )


async def _claim_number(
    uow: UnitOfWork, office_id: str, number: str, *, is_global: bool, other_than: uuid.UUID | None = None
) -> None:
    # Holds the number's lock to commit: a parallel create of it in any office waits, then sees this one.
    free = await repository.number_is_free(
        uow.session, office_id, number, everywhere=is_global, other_than=other_than
    )
    if not free:
        where = "in any office" if is_global else "in this office"
        raise Conflict(
            f"Customer number {number} is already taken {where}.",
            errors=[{"field": "customer_number", "message": "is already taken"}],
        )


def address_set(sent: tuple[AddressDetails, ...], current: Addresses) -> Addresses:
    """The addresses sent, as the customer's whole set. Each keeps the id of the address at its position,
    so sending the same set again changes nothing; the headquarters rule holds as for single adds."""
    result: Addresses = ()
    for position, details in enumerate(sent):
        address_id = current[position].id if position < len(current) else uuid.uuid4()
        fields = sent_fields(details)
        result = address_rules.add_address(result, Address(id=address_id, **fields))
    return result


async def update_customer(
    uow: UnitOfWork, user: OfficeUser, command: UpdateCustomer, copies: LocalCopies
) -> Customer:
    customer = await load_for_change(uow, user, command.customer_id)
    check_version(customer.version, command.expected_version)
    return await _apply(uow, user, customer, command.details, copies)


async def bring_to(
    uow: UnitOfWork, user: OfficeUser, customer: Customer, details: CustomerDetails, copies: LocalCopies
) -> Customer:
    """The customer (locked by the caller) brought to the values sent: the back-office sync's and the
    import's update. Returns it unchanged (same version, no event) when nothing differs."""
    return await _apply(uow, user, customer, details, copies)


async def _apply(
    uow: UnitOfWork, user: OfficeUser, customer: Customer, details: CustomerDetails, copies: LocalCopies
) -> Customer:
    settings = await settings_repository.get(uow.session, customer.office_id)
    await _check_admin_only_changes(uow, user, customer, details, settings)
    values = await checked_values(uow, settings, customer, details)
    if isinstance(details.customer_number, str):
        values["customer_number"] = details.customer_number
    if details.addresses is not NOT_SENT:
        values["addresses"] = address_set(details.addresses, customer.addresses)
    updated, changed = rules.apply_changes(
        customer, values, changed_by=user.subject, now=_now(), allowed=rules.CHANGEABLE_FIELDS
    )
    if not changed:
        return customer
    await check_address_contacts(uow, copies, user.office_id, customer, updated)
    await repository.save(uow.session, customer, updated)
    await record_change(uow, customer, updated, CustomerUpdated)
    return updated


async def _check_admin_only_changes(
    uow: UnitOfWork, user: OfficeUser, customer: Customer, details: CustomerDetails, settings: OfficeSettings
) -> None:
    number, is_global = details.customer_number, details.is_global
    renumbered = number is not NOT_SENT and number != customer.customer_number
    made_global = is_global is True and not customer.is_global
    made_local = is_global is False and customer.is_global
    if renumbered:
        _require_home_admin(user, customer, "changes a customer number")
        if not isinstance(number, str):
            raise InvalidField("customer_number", "cannot be cleared")
        check_customer_number(number, settings)
    if made_global or made_local:
        _require_home_admin(user, customer, "makes a customer global or local")
    if renumbered or made_global:
        final_number = number if isinstance(number, str) else customer.customer_number
        final_global = customer.is_global or made_global
        if final_number is not None:
            await _claim_number(
                uow, customer.office_id, final_number, is_global=final_global, other_than=customer.id
            )


def _require_home_admin(user: OfficeUser, customer: Customer, action: str) -> None:
    """Only an office admin does this; for a global customer, only one of its home office."""
    if not user.is_admin:
        raise NotAllowed(f"Only an office admin {action}.", permission=_ADMIN)
    if customer.is_global and customer.office_id != user.office_id:
        raise NotAllowed(
            f"{customer.name} is a global customer of office {customer.office_id}; only an office admin "
            f"there {action}.",
            permission=_ADMIN,
        )


async def sync_customer(
    uow: UnitOfWork, user: OfficeUser, command: SyncCustomer, copies: LocalCopies
) -> tuple[Customer, bool]:
    """Back-office sync: create the customer with this external id, or bring it to the given values.
    Returns the customer and whether it was created. Repeating the same request changes nothing; two
    at once create one customer (the second waits for the first and then updates it)."""
    system, value, details = command.system, command.value, command.details
    given = details.external_ids if details.external_ids is not NOT_SENT else {}
    if given.get(system, value) != value:
        raise InvalidField(f"external_ids.{system}", f"must be {value}, the id in the path")
    details = replace(details, external_ids={**given, system: value})
    await repository.lock_external_id(uow.session, user.office_id, system, value)
    existing = await repository.get_by_external_id(
        uow.session, user.office_id, system, value, for_update=True
    )
    if existing is None:
        return await create_customer(uow, user, CreateCustomer(details), copies), True
    return await _apply(uow, user, existing, details, copies), False


async def _transition(
    uow: UnitOfWork,
    user: OfficeUser,
    command: ChangeCustomerState,
    transition: Transition,
    event: CustomerEvent,
) -> Customer:
    customer = await load_for_change(uow, user, command.customer_id)
    check_version(customer.version, command.expected_version)
    updated = transition(customer, changed_by=user.subject, now=_now())
    await repository.save(uow.session, customer, updated)
    await record_change(uow, customer, updated, event)
    return updated


async def deactivate_customer(uow: UnitOfWork, user: OfficeUser, command: ChangeCustomerState) -> Customer:
    return await _transition(uow, user, command, rules.deactivate, CustomerDeactivated)


async def reactivate_customer(uow: UnitOfWork, user: OfficeUser, command: ChangeCustomerState) -> Customer:
    return await _transition(uow, user, command, rules.reactivate, CustomerReactivated)


async def delete_customer(uow: UnitOfWork, user: OfficeUser, command: ChangeCustomerState) -> None:
    customer = await load_for_change(uow, user, command.customer_id)
    if customer.is_global:
        _require_home_admin(user, customer, "deletes a global customer")
    check_version(customer.version, command.expected_version)
    links = await link_repository.count_for(uow.session, customer.id)
    if links:
        raise Conflict(
            f"The customer has {links} project link{'s' if links != 1 else ''}; "
            "a customer can be deleted only when it has none.",
            link_count=links,
        )
    last_state = rules.mark_deleted(customer, changed_by=user.subject, now=_now())
    await repository.remove(uow.session, customer.id)
    await record_change(uow, customer, last_state, CustomerDeleted, [FieldChange("deleted", None, True)])
