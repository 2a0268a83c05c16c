"""Reading and writing customers in the customer service's database."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row, and_, delete, func, insert, or_, select, tuple_, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from customer.adapters.tables import customers, number_sequences
from customer.domain.customer import Customer, Owner, TaxId
from servicekit.problems import Conflict


def _to_row(customer: Customer) -> dict[str, Any]:
    return {
        "id": customer.id,
        "office_id": customer.office_id,
        "customer_number": customer.customer_number,
        "name": customer.name,
        "type": customer.type,
        "organisation_number": customer.organisation_number,
        "personal_identity_number": customer.personal_identity_number,
        "country": customer.country,
        "vat_number": customer.vat_number,
        "tax_ids": [{"type": t.type, "number": t.number} for t in customer.tax_ids],
        "segment": customer.segment,
        "category_ids": [str(c) for c in customer.category_ids],
        "owner_id": customer.owner.id if customer.owner else None,
        "owner_name": customer.owner.name if customer.owner else None,
        "remarks": customer.remarks,
        "language": customer.language,
        "vat_mode": customer.vat_mode,
        "custom_fields": customer.custom_fields,
        "external_ids": customer.external_ids,
        "active": customer.active,
        "is_global": customer.is_global,
        "created_at": customer.created_at,
        "created_by": customer.created_by,
        "updated_at": customer.updated_at,
        "updated_by": customer.updated_by,
        "version": customer.version,
    }


def _from_row(row: Row[Any]) -> Customer:
    return Customer(
        id=row.id,
        office_id=row.office_id,
        customer_number=row.customer_number,
        name=row.name,
        type=row.type,
        organisation_number=row.organisation_number,
        personal_identity_number=row.personal_identity_number,
        country=row.country,
        vat_number=row.vat_number,
        tax_ids=tuple(TaxId(**t) for t in row.tax_ids),
        segment=row.segment,
        category_ids=tuple(uuid.UUID(c) for c in row.category_ids),
        owner=Owner(row.owner_id, row.owner_name) if row.owner_id else None,
        remarks=row.remarks,
        language=row.language,
        vat_mode=row.vat_mode,
        custom_fields=dict(row.custom_fields),
        external_ids=dict(row.external_ids),
        active=row.active,
        is_global=row.is_global,
        created_at=row.created_at,
        created_by=row.created_by,
        updated_at=row.updated_at,
        updated_by=row.updated_by,
        version=row.version,
    )


def _visible_to(office_id: str) -> Any:
    # Office isolation: an office sees its own customers and the organisation's global ones.
    return or_(customers.c.office_id == office_id, customers.c.is_global.is_(True))


@dataclass(frozen=True)
class ListFilter:
    active: bool | None = None
    text_prefix: str | None = None


async def get(
    session: AsyncSession, customer_id: uuid.UUID, office_id: str, *, for_update: bool = False
) -> Customer | None:
    query = select(customers).where(customers.c.id == customer_id, _visible_to(office_id))
    if for_update:
        query = query.with_for_update()
    row = (await session.execute(query)).first()
    return _from_row(row) if row else None


async def list_page(
    session: AsyncSession, office_id: str, filters: ListFilter, after: tuple[str, str] | None, limit: int
) -> list[Customer]:
    """One page ordered by name (case-insensitive), then id; `after` is the last (name, id) seen."""
    sort_name = func.lower(customers.c.name)
    query = select(customers).where(_visible_to(office_id))
    if filters.active is not None:
        query = query.where(customers.c.active.is_(filters.active))
    if filters.text_prefix:
        prefix = _escape_like(filters.text_prefix.lower()) + "%"
        query = query.where(
            or_(
                sort_name.like(prefix, escape="\\"),
                func.lower(customers.c.customer_number).like(prefix, escape="\\"),
            )
        )
    if after is not None:
        query = query.where(tuple_(sort_name, customers.c.id) > tuple_(after[0], uuid.UUID(after[1])))
    query = query.order_by(sort_name, customers.c.id).limit(limit)
    return [_from_row(row) for row in (await session.execute(query)).all()]


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


async def add(session: AsyncSession, customer: Customer) -> None:
    try:
        async with session.begin_nested():
            await session.execute(insert(customers).values(**_to_row(customer)))
    except IntegrityError as exc:
        raise _number_taken(exc, customer) from exc


async def save(session: AsyncSession, customer: Customer) -> None:
    """Write a changed customer; the caller has locked the row and checked the version it changed."""
    try:
        async with session.begin_nested():
            await session.execute(
                update(customers)
                .where(and_(customers.c.id == customer.id, customers.c.version == customer.version - 1))
                .values(**_to_row(customer))
            )
    except IntegrityError as exc:
        raise _number_taken(exc, customer) from exc


async def remove(session: AsyncSession, customer_id: uuid.UUID) -> None:
    await session.execute(delete(customers).where(customers.c.id == customer_id))


async def next_number(session: AsyncSession, scope: str) -> int:
    """Draw the next value of a counter. The row lock is held to commit, so numbers are never shared."""
    statement = (
        pg_insert(number_sequences)
        .values(scope=scope, last_value=1)
        .on_conflict_do_update(
            index_elements=["scope"],
            set_={"last_value": number_sequences.c.last_value + 1, "updated_at": func.now()},
        )
        .returning(number_sequences.c.last_value)
    )
    return int((await session.execute(statement)).scalar_one())


async def number_in_use(session: AsyncSession, office_id: str, number: str) -> bool:
    query = select(customers.c.id).where(
        customers.c.office_id == office_id, customers.c.customer_number == number
    )
    return (await session.execute(query)).first() is not None


def _number_taken(exc: IntegrityError, customer: Customer) -> Exception:
    if "uq_customers_office_number" in str(exc.orig):
        return Conflict(
            f"Customer number {customer.customer_number} is already taken in this office.",
            errors=[{"field": "customer_number", "message": "is already taken"}],
        )
    return exc
