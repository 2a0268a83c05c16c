"""Customer use cases. Each changes state, writes its history and records its event in one unit of work."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from contracts.customer import (
    CustomerCreated,
    CustomerDeactivated,
    CustomerDeleted,
    CustomerReactivated,
    CustomerUpdated,
)
from customer.adapters import link_repository, repository, settings_repository
from customer.domain import customer as rules
from customer.domain.customer import Customer
from customer.domain.history import FieldChange
from customer.domain.numbering import format_number, sequence_scope
from customer.domain.settings import OfficeSettings, check_customer_number
from customer.service.checks import checked_values
from customer.service.recording import CustomerEvent, record_change
from servicekit.auth import Principal
from servicekit.etag import check_version
from servicekit.problems import Conflict, Forbidden, InvalidField, NotFound
from servicekit.unit_of_work import UnitOfWork

_MAX_NUMBER_DRAWS = 1000


def _now() -> datetime:
    return datetime.now(UTC)


def _office(user: Principal) -> str:
    assert user.office_id is not None, "internal users always belong to an office"
    return user.office_id


async def _draw_free_number(uow: UnitOfWork, settings: OfficeSettings, *, is_global: bool) -> str:
    # A number typed in by hand may already hold the counter's next value; skip past it.
    scope = sequence_scope(settings.office_id, is_global=is_global)
    for _ in range(_MAX_NUMBER_DRAWS):
        value = await repository.next_number(uow.session, scope)
        number = format_number(value, settings.customer_number_min_length)
        if not await repository.number_in_use(uow.session, settings.office_id, number):
            return number
    raise Conflict(
        f"No free customer number found in {_MAX_NUMBER_DRAWS} draws; check the numbering settings."
    )


async def load_for_change(uow: UnitOfWork, user: Principal, customer_id: uuid.UUID) -> Customer:
    """The customer, locked for this transaction; 404 when the user's office cannot see it."""
    customer = await repository.get(uow.session, customer_id, _office(user), for_update=True)
    if customer is None:
        raise NotFound(f"No customer {customer_id} in your office.")
    return customer


CreatedHook = Callable[[Customer], Awaitable[None]]


async def create_customer(
    uow: UnitOfWork, user: Principal, details: dict[str, Any], on_created: CreatedHook | None = None
) -> Customer:
    """Create a customer; `on_created` runs inside the same transaction (to store an idempotent answer)."""
    async with uow:
        customer = await _create(uow, user, details)
        if on_created is not None:
            await on_created(customer)
        await uow.commit()
    return customer


async def _create(uow: UnitOfWork, user: Principal, details: dict[str, Any]) -> Customer:
    settings = await settings_repository.get(uow.session, _office(user))
    details = dict(details)
    is_global = details.get("is_global", False)
    if is_global and not user.is_admin:
        raise Forbidden("Only an office admin creates global customers.", permission="administer_office")
    number = details.pop("customer_number", None)
    if number is None:
        if settings.customer_numbering == "manual":
            raise InvalidField("customer_number", "is required: this office numbers its customers by hand")
        number = await _draw_free_number(uow, settings, is_global=is_global)
    else:
        check_customer_number(number, settings)
    details = await checked_values(uow, settings, None, details)
    customer = rules.new_customer(
        office_id=settings.office_id, customer_number=number, created_by=user.subject, now=_now(), **details
    )
    await repository.add(uow.session, customer)
    await record_change(uow, user, None, customer, CustomerCreated)
    return customer


async def update_customer(
    uow: UnitOfWork,
    user: Principal,
    customer_id: uuid.UUID,
    changes: dict[str, Any],
    expected_version: int | None,
) -> Customer:
    async with uow:
        customer = await load_for_change(uow, user, customer_id)
        check_version(customer.version, expected_version)
        updated = await _apply(uow, user, customer, changes)
        await uow.commit()
    return updated


async def _apply(uow: UnitOfWork, user: Principal, customer: Customer, changes: dict[str, Any]) -> Customer:
    settings = await settings_repository.get(uow.session, customer.office_id)
    _check_admin_only_changes(user, customer, changes, settings)
    changes = await checked_values(uow, settings, customer, changes)
    allowed = rules.EDITABLE_FIELDS | {"organisation_number_compact", "vat_number_compact"}
    updated, changed = rules.apply_changes(
        customer, changes, changed_by=user.subject, now=_now(), allowed=allowed
    )
    if not changed:
        return customer
    await repository.save(uow.session, customer, updated)
    await record_change(uow, user, customer, updated, CustomerUpdated)
    return updated


def _check_admin_only_changes(
    user: Principal, customer: Customer, changes: dict[str, Any], settings: OfficeSettings
) -> None:
    number = changes.get("customer_number", customer.customer_number)
    if number != customer.customer_number:
        if not user.is_admin:
            raise Forbidden("Only an office admin changes a customer number.", permission="administer_office")
        if number is None:
            raise InvalidField("customer_number", "cannot be cleared")
        check_customer_number(number, settings)
    if changes.get("is_global", customer.is_global) != customer.is_global and not user.is_admin:
        raise Forbidden(
            "Only an office admin makes a customer global or local.", permission="administer_office"
        )


async def upsert_by_external_id(
    uow: UnitOfWork, user: Principal, system: str, value: str, details: dict[str, Any]
) -> tuple[Customer, bool]:
    """Back-office sync: create the customer with this external id, or bring it to the given values.
    Returns the customer and whether it was created. Repeating the same request changes nothing."""
    given = details.get("external_ids", {})
    if given.get(system, value) != value:
        raise InvalidField(f"external_ids.{system}", f"must be {value}, the id in the path")
    details = {**details, "external_ids": {**given, system: value}}
    async with uow:
        existing = await repository.get_by_external_id(
            uow.session, _office(user), system, value, for_update=True
        )
        if existing is None:
            customer, created = await _create(uow, user, details), True
        else:
            customer, created = await _apply(uow, user, existing, details), False
        await uow.commit()
    return customer, created


Transition = Callable[..., Customer]


async def _transition(
    uow: UnitOfWork,
    user: Principal,
    customer_id: uuid.UUID,
    expected_version: int | None,
    transition: Transition,
    event: CustomerEvent,
) -> Customer:
    async with uow:
        customer = await load_for_change(uow, user, customer_id)
        check_version(customer.version, expected_version)
        updated = transition(customer, changed_by=user.subject, now=_now())
        await repository.save(uow.session, customer, updated)
        await record_change(uow, user, customer, updated, event)
        await uow.commit()
    return updated


async def deactivate_customer(
    uow: UnitOfWork, user: Principal, customer_id: uuid.UUID, expected_version: int | None
) -> Customer:
    return await _transition(uow, user, customer_id, expected_version, rules.deactivate, CustomerDeactivated)


async def reactivate_customer(
    uow: UnitOfWork, user: Principal, customer_id: uuid.UUID, expected_version: int | None
) -> Customer:
    return await _transition(uow, user, customer_id, expected_version, rules.reactivate, CustomerReactivated)


async def delete_customer(
    uow: UnitOfWork, user: Principal, customer_id: uuid.UUID, expected_version: int | None
) -> None:
    async with uow:
        customer = await load_for_change(uow, user, customer_id)
        check_version(customer.version, expected_version)
        links = await link_repository.count_for(uow.session, customer_id)
        if links:
            raise Conflict(
                f"The customer has {links} project link{'s' if links != 1 else ''}; "
                "a customer can be deleted only when it has none.",
                link_count=links,
            )
        last_state = rules.mark_deleted(customer, changed_by=user.subject, now=_now())
        await repository.remove(uow.session, customer_id)
        deleted = [FieldChange("deleted", None, True)]
        await record_change(uow, user, customer, last_state, CustomerDeleted, deleted)
        await uow.commit()
