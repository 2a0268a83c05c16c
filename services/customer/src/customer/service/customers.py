"""Customer use cases. Each changes state and records its event in the same unit of work, then commits."""

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
    CustomerState,
    CustomerUpdated,
)
from contracts.envelope import EventPayload
from customer.adapters import repository
from customer.domain import customer as rules
from customer.domain.customer import Customer
from customer.domain.numbering import format_number, sequence_scope
from servicekit.auth import Principal
from servicekit.etag import check_version
from servicekit.problems import NotFound
from servicekit.unit_of_work import UnitOfWork

# Domain names that differ from the JSON (and event) names.
_JSON_NAMES = {"is_global": "global"}
_MAX_NUMBER_DRAWS = 1000


def to_state(customer: Customer) -> CustomerState:
    """The customer as events carry it: everything but the personal identity number."""
    return CustomerState.model_validate(
        {
            "id": customer.id,
            "office_id": customer.office_id,
            "customer_number": customer.customer_number,
            "name": customer.name,
            "type": customer.type,
            "organisation_number": customer.organisation_number,
            "country": customer.country,
            "vat_number": customer.vat_number,
            "tax_ids": [{"type": t.type, "number": t.number} for t in customer.tax_ids],
            "segment": customer.segment,
            "category_ids": list(customer.category_ids),
            "owner": {"id": customer.owner.id, "name": customer.owner.name} if customer.owner else None,
            "remarks": customer.remarks,
            "language": customer.language,
            "vat_mode": customer.vat_mode,
            "custom_fields": customer.custom_fields,
            "external_ids": customer.external_ids,
            "addresses": [],
            "active": customer.active,
            "global": customer.is_global,
            "created_at": customer.created_at,
            "created_by": customer.created_by,
            "updated_at": customer.updated_at,
            "updated_by": customer.updated_by,
            "version": customer.version,
        }
    )


def _record(uow: UnitOfWork, payload: EventPayload, customer: Customer) -> None:
    uow.record(
        payload, office_id=customer.office_id, aggregate_id=customer.id, aggregate_version=customer.version
    )


def _now() -> datetime:
    return datetime.now(UTC)


async def _draw_free_number(uow: UnitOfWork, office_id: str, *, is_global: bool) -> str:
    # A number typed in by hand may already hold the counter's next value; skip past it.
    scope = sequence_scope(office_id, is_global=is_global)
    for _ in range(_MAX_NUMBER_DRAWS):
        number = format_number(await repository.next_number(uow.session, scope))
        if not await repository.number_in_use(uow.session, office_id, number):
            return number
    raise RuntimeError(f"no free customer number found in {_MAX_NUMBER_DRAWS} draws for {scope}")


async def _load_for_change(uow: UnitOfWork, user: Principal, customer_id: uuid.UUID) -> Customer:
    assert user.office_id is not None
    customer = await repository.get(uow.session, customer_id, user.office_id, for_update=True)
    if customer is None:
        raise NotFound(f"No customer {customer_id} in your office.")
    return customer


CreatedHook = Callable[[Customer], Awaitable[None]]


async def create_customer(
    uow: UnitOfWork, user: Principal, details: dict[str, Any], on_created: CreatedHook | None = None
) -> Customer:
    """Create a customer; `on_created` runs inside the same transaction (to store an idempotent answer)."""
    assert user.office_id is not None
    async with uow:
        details = dict(details)
        number = details.pop("customer_number", None) or await _draw_free_number(
            uow, user.office_id, is_global=details.get("is_global", False)
        )
        customer = rules.new_customer(
            office_id=user.office_id, customer_number=number, created_by=user.subject, now=_now(), **details
        )
        await repository.add(uow.session, customer)
        _record(uow, CustomerCreated(customer=to_state(customer)), customer)
        if on_created is not None:
            await on_created(customer)
        await uow.commit()
    return customer


async def update_customer(
    uow: UnitOfWork,
    user: Principal,
    customer_id: uuid.UUID,
    changes: dict[str, Any],
    expected_version: int | None,
) -> Customer:
    async with uow:
        customer = await _load_for_change(uow, user, customer_id)
        check_version(customer.version, expected_version)
        updated, changed = rules.apply_changes(customer, changes, changed_by=user.subject, now=_now())
        if not changed:
            return customer
        await repository.save(uow.session, updated)
        changed_fields = [_JSON_NAMES.get(name, name) for name in changed]
        _record(uow, CustomerUpdated(customer=to_state(updated), changed_fields=changed_fields), updated)
        await uow.commit()
    return updated


Transition = Callable[..., Customer]


async def _transition(
    uow: UnitOfWork,
    user: Principal,
    customer_id: uuid.UUID,
    expected_version: int | None,
    transition: Transition,
    event: Callable[..., EventPayload],
) -> Customer:
    async with uow:
        customer = await _load_for_change(uow, user, customer_id)
        check_version(customer.version, expected_version)
        updated = transition(customer, changed_by=user.subject, now=_now())
        await repository.save(uow.session, updated)
        _record(uow, event(customer=to_state(updated)), updated)
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
        customer = await _load_for_change(uow, user, customer_id)
        check_version(customer.version, expected_version)
        last_state = rules.mark_deleted(customer, changed_by=user.subject, now=_now())
        await repository.remove(uow.session, customer_id)
        _record(uow, CustomerDeleted(customer=to_state(last_state)), last_state)
        await uow.commit()
