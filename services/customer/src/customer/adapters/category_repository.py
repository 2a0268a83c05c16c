"""Reading and writing an office's categories, and asking which customers have one."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import asdict
from typing import Any

from sqlalchemy import Row, Text, cast, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from customer.adapters.tables import categories, customers
from customer.domain.category import Category
from domainkit import Conflict

_FIELDS = frozenset(categories.c.keys())


def _from_row(row: Row[Any]) -> Category:
    return Category(**{k: v for k, v in row._mapping.items() if k in _FIELDS})


def _holding(category_id: Any) -> Any:
    """Customers whose list holds the category: `category_ids @> '["<id>"]'`, answered by the GIN index
    (the list holds ids as strings)."""
    return customers.c.category_ids.contains(func.jsonb_build_array(cast(category_id, Text)))


async def get(
    session: AsyncConnection, category_id: uuid.UUID, office_id: str, *, for_update: bool = False
) -> Category | None:
    """The office's category; None for an unknown id or another office's category."""
    query = select(categories).where(categories.c.id == category_id, categories.c.office_id == office_id)
    if for_update:
        query = query.with_for_update()
    row = (await session.execute(query)).first()
    return _from_row(row) if row else None


async def list_with_use(
    session: AsyncConnection, office_id: str, *, include_inactive: bool
) -> list[tuple[Category, int]]:
    """The office's categories, active ones first, then by name (ignoring case), each with how many
    customers have it."""
    in_use = (
        select(func.count())
        .select_from(customers)
        .where(_holding(categories.c.id))
        .scalar_subquery()
        .label("in_use_count")
    )
    query = select(categories, in_use).where(categories.c.office_id == office_id)
    if not include_inactive:
        query = query.where(categories.c.active.is_(True))
    query = query.order_by(categories.c.active.desc(), func.lower(categories.c.name), categories.c.id)
    rows = (await session.execute(query)).all()
    return [(_from_row(row), row.in_use_count) for row in rows]


async def in_use_count(session: AsyncConnection, category_id: uuid.UUID) -> int:
    """How many customers have the category (of any office: a category held anywhere is in use)."""
    query = (
        select(func.count())
        .select_from(customers)
        .where(customers.c.category_ids.contains([str(category_id)]))
    )
    return int((await session.execute(query)).scalar_one())


async def unknown_or_inactive(
    session: AsyncConnection, office_id: str, category_ids: Iterable[uuid.UUID]
) -> list[uuid.UUID]:
    """The ids that are not an active category of that office, in the order given.

    The active ones are share-locked to the end of the caller's transaction, so a concurrent deactivate or
    delete of one of them waits for the customer change to commit (and then sees the customer has it)."""
    wanted = list(category_ids)
    if not wanted:
        return []
    query = (
        select(categories.c.id)
        .where(
            categories.c.id.in_(set(wanted)),
            categories.c.office_id == office_id,
            categories.c.active.is_(True),
        )
        .order_by(categories.c.id)
        .with_for_update(read=True)
    )
    active = set((await session.execute(query)).scalars())
    return [c for c in wanted if c not in active]


async def add(session: AsyncConnection, category: Category) -> None:
    try:
        async with session.begin_nested():
            await session.execute(insert(categories).values(**asdict(category)))
    except IntegrityError as exc:
        raise _taken(exc, category) from exc


async def save(session: AsyncConnection, category: Category) -> None:
    """Write a changed category; the caller holds the row lock and has checked the version."""
    values = {
        k: v for k, v in asdict(category).items() if k not in ("id", "office_id", "created_at", "created_by")
    }
    try:
        async with session.begin_nested():
            await session.execute(update(categories).where(categories.c.id == category.id).values(**values))
    except IntegrityError as exc:
        raise _taken(exc, category) from exc


async def remove(session: AsyncConnection, category_id: uuid.UUID) -> None:
    await session.execute(delete(categories).where(categories.c.id == category_id))


def _taken(exc: IntegrityError, category: Category) -> Exception:
    if "uq_categories_office_name" not in str(exc.orig):
        return exc
    return Conflict(
        f"There is already a category named {category.name} in your office.",
        errors=[{"field": "name", "message": "is already the name of another category in your office"}],
    )
