"""Category use cases. Each changes one category and records its `category.*` event in one unit of work."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import asdict
from datetime import UTC, datetime

from contracts.category import (
    CategoryCreated,
    CategoryDeactivated,
    CategoryDeleted,
    CategoryReactivated,
    CategoryState,
    CategoryUpdated,
)
from contracts.envelope import EventPayload
from customer.adapters import category_repository
from customer.domain import category as rules
from customer.domain.category import Category
from domainkit import Conflict, NotFound
from servicekit.auth import OfficeUser
from servicekit.etag import check_version
from servicekit.unit_of_work import UnitOfWork


def _now() -> datetime:
    return datetime.now(UTC)


def to_state(category: Category) -> CategoryState:
    """The category as its events carry it: its full state."""
    return CategoryState(**asdict(category))


def _record(uow: UnitOfWork, category: Category, event: EventPayload) -> None:
    uow.record(
        event, office_id=category.office_id, aggregate_id=category.id, aggregate_version=category.version
    )


async def _load_for_change(uow: UnitOfWork, user: OfficeUser, category_id: uuid.UUID) -> Category:
    category = await category_repository.get(uow.session, category_id, user.office_id, for_update=True)
    if category is None:
        raise NotFound(f"No category {category_id} in your office.")
    return category


async def create_category(uow: UnitOfWork, user: OfficeUser, name: str) -> Category:
    category = rules.new_category(office_id=user.office_id, name=name, created_by=user.subject, now=_now())
    await category_repository.add(uow.session, category)
    _record(uow, category, CategoryCreated(category=to_state(category)))
    return category


async def rename_category(
    uow: UnitOfWork, user: OfficeUser, category_id: uuid.UUID, name: str | None, expected_version: int | None
) -> Category:
    """Rename; no name (an empty PATCH) or the same name changes nothing and makes no new version."""
    category = await _load_for_change(uow, user, category_id)
    check_version(category.version, expected_version)
    if name is None:
        return category
    renamed = rules.rename(category, name, changed_by=user.subject, now=_now())
    if renamed is category:
        return category
    await category_repository.save(uow.session, renamed)
    _record(uow, renamed, CategoryUpdated(category=to_state(renamed)))
    return renamed


async def _transition(
    uow: UnitOfWork,
    user: OfficeUser,
    category_id: uuid.UUID,
    expected_version: int | None,
    transition: Callable[..., Category],
    event: Callable[..., EventPayload],
) -> Category:
    category = await _load_for_change(uow, user, category_id)
    check_version(category.version, expected_version)
    changed = transition(category, changed_by=user.subject, now=_now())
    await category_repository.save(uow.session, changed)
    _record(uow, changed, event(category=to_state(changed)))
    return changed


async def deactivate_category(
    uow: UnitOfWork, user: OfficeUser, category_id: uuid.UUID, expected_version: int | None
) -> Category:
    """No longer given to customers; the customers that have it keep it."""
    return await _transition(uow, user, category_id, expected_version, rules.deactivate, CategoryDeactivated)


async def reactivate_category(
    uow: UnitOfWork, user: OfficeUser, category_id: uuid.UUID, expected_version: int | None
) -> Category:
    return await _transition(uow, user, category_id, expected_version, rules.reactivate, CategoryReactivated)


async def delete_category(
    uow: UnitOfWork, user: OfficeUser, category_id: uuid.UUID, expected_version: int | None
) -> None:
    """Delete a category no customer has; one in use can only be deactivated (409 with the count)."""
    category = await _load_for_change(uow, user, category_id)
    check_version(category.version, expected_version)
    # The row lock above makes a customer change that gives out this category (which share-locks it)
    # wait, or finish first; either way the count below sees it.
    in_use = await category_repository.in_use_count(uow.session, category_id)
    if in_use:
        customers = "customer" if in_use == 1 else "customers"
        raise Conflict(
            f"Category {category.name} is used by {in_use} {customers}; deactivate it instead.",
            in_use_count=in_use,
        )
    last_state = rules.mark_deleted(category, changed_by=user.subject, now=_now())
    await category_repository.remove(uow.session, category_id)
    _record(uow, last_state, CategoryDeleted(category=to_state(last_state)))
