"""What the customer import and export read besides customers: ids by number, categories by name, and the
shape of an office's register (custom-field keys, external-id systems, most addresses on one customer)."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from customer.adapters.repository import visible_to
from customer.adapters.tables import addresses, categories, custom_field_definitions, customers, external_ids


async def id_by_number(session: AsyncConnection, office_id: str, number: str) -> uuid.UUID | None:
    """The customer the office sees under this number (its own or a global one)."""
    query = select(customers.c.id).where(visible_to(office_id), customers.c.customer_number == number)
    return (await session.execute(query.limit(1))).scalar()


async def category_ids_by_name(session: AsyncConnection, office_id: str) -> dict[str, str]:
    """The office's categories (active or not: the rules refuse an inactive one by name), lower-cased name
    to id."""
    query = select(categories.c.name, categories.c.id).where(categories.c.office_id == office_id)
    return {row.name.casefold(): str(row.id) for row in (await session.execute(query)).all()}


async def category_names(session: AsyncConnection, office_id: str) -> dict[uuid.UUID, str]:
    query = select(categories.c.id, categories.c.name).where(categories.c.office_id == office_id)
    return {row.id: row.name for row in (await session.execute(query)).all()}


async def custom_field_keys(session: AsyncConnection, office_id: str) -> list[str]:
    query = (
        select(custom_field_definitions.c.key)
        .where(custom_field_definitions.c.office_id == office_id)
        .order_by(custom_field_definitions.c.position, custom_field_definitions.c.key)
    )
    return list((await session.execute(query)).scalars())


async def external_id_systems(session: AsyncConnection, office_id: str) -> list[str]:
    query = (
        select(external_ids.c.system)
        .where(external_ids.c.office_id == office_id)
        .distinct()
        .order_by("system")
    )
    return list((await session.execute(query)).scalars())


async def most_addresses(session: AsyncConnection, office_id: str) -> int:
    """The most addresses any customer the office sees has (the export's address column groups)."""
    query = (
        select(func.coalesce(func.max(addresses.c.position) + 1, 0))
        .select_from(addresses.join(customers, customers.c.id == addresses.c.customer_id))
        .where(visible_to(office_id))
    )
    return int((await session.execute(query)).scalar_one())
