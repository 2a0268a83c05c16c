"""Reading and writing an office's custom-field definitions, and reading the values customers hold."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Row, bindparam, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from customer.adapters.tables import custom_field_definitions, customers
from customer.domain.custom_fields import FieldDefinition
from domainkit import Conflict

_table = custom_field_definitions


def _from_row(row: Row[Any]) -> FieldDefinition:
    return FieldDefinition(
        key=row.key,
        label=row.label,
        type=row.type,
        options=tuple(row.options),
        required=row.required,
        position=row.position,
        version=row.version,
    )


# Built once: the customer-change path reads the definitions on every create, and a statement object
# reused with its parameters costs SQLAlchemy no construction and no cache-key walk.
_ORDERED = (
    select(_table)
    .where(_table.c.office_id == bindparam("office_id"))
    .order_by(_table.c.position, _table.c.key)
)
_ORDERED_SHARE_LOCKED = _ORDERED.with_for_update(read=True)


async def definitions(session: AsyncConnection, office_id: str) -> dict[str, FieldDefinition]:
    """The office's definitions by key, for validating values a customer change brings.

    They stay share-locked to the end of the caller's transaction: a definition change waits for customer
    changes in flight, and then checks the values they stored against what it is about to change."""
    rows = (await session.execute(_ORDERED_SHARE_LOCKED, {"office_id": office_id})).all()
    return {row.key: _from_row(row) for row in rows}


async def list_definitions(session: AsyncConnection, office_id: str) -> list[FieldDefinition]:
    """The office's definitions by position, then key (for reading; nothing is locked)."""
    return [_from_row(row) for row in (await session.execute(_ORDERED, {"office_id": office_id})).all()]


async def get(
    session: AsyncConnection, office_id: str, key: str, *, for_update: bool = False
) -> FieldDefinition | None:
    query = select(_table).where(_table.c.office_id == office_id, _table.c.key == key)
    if for_update:
        query = query.with_for_update()
    row = (await session.execute(query)).first()
    return _from_row(row) if row else None


def _row(definition: FieldDefinition) -> dict[str, Any]:
    return {
        "label": definition.label,
        "type": definition.type,
        "options": list(definition.options),
        "required": definition.required,
        "position": definition.position,
        "version": definition.version,
        "updated_at": func.now(),
    }


async def add(session: AsyncConnection, office_id: str, definition: FieldDefinition) -> None:
    statement = insert(_table).values(
        office_id=office_id, key=definition.key, created_at=func.now(), **_row(definition)
    )
    try:
        async with session.begin_nested():
            await session.execute(statement)
    except IntegrityError as exc:
        if "pk_custom_field_definitions" in str(exc.orig):
            raise Conflict(
                f"Your office already has a custom field {definition.key}.",
                errors=[{"field": "key", "message": "is already a custom field of your office"}],
            ) from exc
        raise


async def save(session: AsyncConnection, office_id: str, definition: FieldDefinition) -> None:
    """Write a changed definition; the caller holds the row lock and has checked the version."""
    await session.execute(
        update(_table)
        .where(_table.c.office_id == office_id, _table.c.key == definition.key)
        .values(**_row(definition))
    )


async def remove(session: AsyncConnection, office_id: str, key: str) -> None:
    await session.execute(delete(_table).where(_table.c.office_id == office_id, _table.c.key == key))


def _value(key: str) -> Any:
    """`custom_fields -> key`: the JSON value itself (not its text), so types survive the trip."""
    return customers.c.custom_fields[key]


def _has_value(key: str) -> Any:
    # A missing key gives SQL NULL, a JSON null gives 'null': neither is a value.
    return func.jsonb_typeof(_value(key)) != "null"


async def stored_values(session: AsyncConnection, office_id: str, key: str) -> list[tuple[object, int]]:
    """Each distinct value the office's customers hold for the key, with how many customers hold it."""
    value = _value(key)
    query = (
        select(value.label("value"), func.count().label("customers"))
        .where(customers.c.office_id == office_id, _has_value(key))
        .group_by(value)
    )
    return [(row.value, int(row.customers)) for row in (await session.execute(query)).all()]


async def customers_with_value(session: AsyncConnection, office_id: str, key: str) -> int:
    query = (
        select(func.count()).select_from(customers).where(customers.c.office_id == office_id, _has_value(key))
    )
    return int((await session.execute(query)).scalar_one())


async def customers_without_value(session: AsyncConnection, office_id: str, key: str) -> int:
    query = (
        select(func.count())
        .select_from(customers)
        .where(
            customers.c.office_id == office_id,
            func.coalesce(func.jsonb_typeof(_value(key)), "null") == "null",
        )
    )
    return int((await session.execute(query)).scalar_one())
