"""Reading and writing customers (with their addresses and external ids) in the customer database."""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import asyncpg
from sqlalchemy import Row, Select, and_, delete, func, insert, or_, select, text, tuple_, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from customer.adapters.tables import addresses, customers, external_ids
from customer.domain.addresses import Address
from customer.domain.customer import Customer, Owner, TaxId
from domainkit import Conflict
from servicekit.db import hold_lock

# Customer fields kept in tables of their own.
_NOT_IN_CUSTOMERS_TABLE = {"addresses", "owner", "tax_ids", "category_ids", "is_global"}


def to_row(customer: Customer) -> dict[str, Any]:
    row = {k: v for k, v in vars(customer).items() if k not in _NOT_IN_CUSTOMERS_TABLE}
    row.update(
        tax_ids=[{"type": t.type, "number": t.number} for t in customer.tax_ids],
        category_ids=[str(c) for c in customer.category_ids],
        owner_id=customer.owner.id if customer.owner else None,
        owner_name=customer.owner.name if customer.owner else None,
        is_global=customer.is_global,
    )
    return row


def _from_row(row: Row[Any], customer_addresses: Sequence[Address]) -> Customer:
    values = dict(row._mapping)
    owner_id, owner_name = values.pop("owner_id"), values.pop("owner_name")
    return Customer(
        **{
            **values,
            "tax_ids": tuple(TaxId(**t) for t in values["tax_ids"]),
            "category_ids": tuple(uuid.UUID(c) for c in values["category_ids"]),
            "owner": Owner(owner_id, owner_name) if owner_id else None,
            "custom_fields": dict(values["custom_fields"]),
            "external_ids": dict(values["external_ids"]),
            "addresses": tuple(customer_addresses),
        }
    )


def address_rows(customer: Customer) -> list[dict[str, Any]]:
    return [{**vars(a), "customer_id": customer.id, "position": n} for n, a in enumerate(customer.addresses)]


async def _with_addresses(session: AsyncConnection, rows: Sequence[Row[Any]]) -> list[Customer]:
    """Customers of the given rows, each with its addresses (read in one query for all of them)."""
    if not rows:
        return []
    found = await session.execute(
        select(addresses)
        .where(addresses.c.customer_id.in_([r.id for r in rows]))
        .order_by(addresses.c.customer_id, addresses.c.position)
    )
    by_customer: dict[uuid.UUID, list[Address]] = defaultdict(list)
    for a in found.all():
        fields = {k: v for k, v in a._mapping.items() if k not in ("customer_id", "position")}
        by_customer[a.customer_id].append(Address(**fields))
    return [_from_row(row, by_customer[row.id]) for row in rows]


def visible_to(office_id: str) -> Any:
    """Office isolation: an office sees its own customers and the organisation's global ones."""
    return or_(customers.c.office_id == office_id, customers.c.is_global.is_(True))


async def fetch(session: AsyncConnection, query: Select[Any]) -> list[Customer]:
    return await _with_addresses(session, (await session.execute(query)).all())


@dataclass(frozen=True)
class ListFilter:
    active: bool | None = None
    text_prefix: str | None = None


async def get(
    session: AsyncConnection, customer_id: uuid.UUID, office_id: str, *, for_update: bool = False
) -> Customer | None:
    query = select(customers).where(customers.c.id == customer_id, visible_to(office_id))
    if for_update:
        query = query.with_for_update()
    found = await fetch(session, query)
    return found[0] if found else None


async def get_by_external_id(
    session: AsyncConnection, office_id: str, system: str, value: str, *, for_update: bool = False
) -> Customer | None:
    query = (
        select(customers)
        .join(external_ids, external_ids.c.customer_id == customers.c.id)
        .where(
            external_ids.c.office_id == office_id,
            external_ids.c.system == system,
            external_ids.c.value == value,
        )
    )
    if for_update:
        query = query.with_for_update(of=customers)
    found = await fetch(session, query)
    return found[0] if found else None


async def list_page(
    session: AsyncConnection,
    office_id: str,
    filters: ListFilter,
    after: tuple[str, uuid.UUID] | None,
    limit: int,
) -> list[Customer]:
    """One page ordered by name (case-insensitive), then id; `after` is the last (name, id) seen."""
    sort_name = func.lower(customers.c.name)
    query = select(customers).where(visible_to(office_id))
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
        query = query.where(tuple_(sort_name, customers.c.id) > tuple_(after[0], after[1]))
    return await fetch(session, query.order_by(sort_name, customers.c.id).limit(limit))


async def get_any_office(
    session: AsyncConnection, customer_id: uuid.UUID, *, for_update: bool = False
) -> Customer | None:
    """A customer whatever its office: for other services' read-through and for consumers, never for
    users."""
    query = select(customers).where(customers.c.id == customer_id)
    found = await fetch(session, query.with_for_update() if for_update else query)
    return found[0] if found else None


async def list_after_id(
    session: AsyncConnection, office_id: str | None, after: uuid.UUID | None, limit: int
) -> list[Customer]:
    """Customers in id order after `after`, of one office or of all (the internal bulk read)."""
    query = select(customers)
    if office_id is not None:
        query = query.where(customers.c.office_id == office_id)
    if after is not None:
        query = query.where(customers.c.id > after)
    return await fetch(session, query.order_by(customers.c.id).limit(limit))


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


# Built once: statement objects reused with their parameters cost no construction or cache-key walk.
_INSERT_CUSTOMER = insert(customers)
_INSERT_ADDRESSES = insert(addresses)
_NEXT_NUMBER = text(
    # Found through pg_class, read with the statement's snapshot, so a sequence that another connection
    # just created is seen (a name lookup such as to_regclass would keep answering from a stale cache).
    "SELECT nextval(c.oid::regclass) FROM pg_class c "
    "WHERE c.relname = :name AND c.relkind = 'S' AND c.relnamespace = current_schema()::regnamespace"
)
_NUMBER_IS_FREE = text("SELECT customer_number_free(:office, :number, :everywhere, :other_than)")


async def add(session: AsyncConnection, customer: Customer) -> None:
    # No savepoint: a unique violation ends the whole unit of work, which is refused as a 409.
    try:
        await session.execute(_INSERT_CUSTOMER, to_row(customer))
        if customer.addresses:
            await session.execute(_INSERT_ADDRESSES, address_rows(customer))
        await _write_external_ids(session, customer)
    except IntegrityError as exc:
        raise _taken(exc, customer) from exc


async def save(session: AsyncConnection, before: Customer, after: Customer) -> None:
    """Write a changed customer; the caller holds the row lock and has checked the version."""
    try:
        await session.execute(
            update(customers)
            .where(and_(customers.c.id == after.id, customers.c.version == before.version))
            .values(**to_row(after))
        )
        if after.addresses != before.addresses:
            await session.execute(delete(addresses).where(addresses.c.customer_id == after.id))
            if after.addresses:
                await session.execute(insert(addresses), address_rows(after))
        if after.external_ids != before.external_ids:
            await session.execute(delete(external_ids).where(external_ids.c.customer_id == after.id))
            await _write_external_ids(session, after)
    except IntegrityError as exc:
        raise _taken(exc, after) from exc


async def _write_external_ids(session: AsyncConnection, customer: Customer) -> None:
    if customer.external_ids:
        await session.execute(
            insert(external_ids),
            [
                {
                    "office_id": customer.office_id,
                    "system": system,
                    "value": value,
                    "customer_id": customer.id,
                }
                for system, value in customer.external_ids.items()
            ],
        )


async def remove(session: AsyncConnection, customer_id: uuid.UUID) -> None:
    await session.execute(delete(customers).where(customers.c.id == customer_id))


async def next_number(session: AsyncConnection, scope: str) -> int:
    """The next value of the scope's sequence. Not transactional: a create that fails later leaves a gap,
    and no create ever waits for another's commit."""
    name = sequence_name(scope)
    value = (await session.execute(_NEXT_NUMBER, {"name": name})).scalar()
    if value is None:  # the scope's first number: its sequence does not exist yet
        await _create_sequence(session, scope, name)
        value = (await session.execute(_NEXT_NUMBER, {"name": name})).scalar_one()
    return int(value)


def sequence_name(scope: str) -> str:
    return "customer_number_" + hashlib.md5(scope.encode()).hexdigest()


_sequence_creation = asyncio.Lock()


async def _create_sequence(session: AsyncConnection, scope: str, name: str) -> None:
    # On a connection of its own, outside the pool, committed at once. Inside the business transaction
    # the new sequence would make every other create of the scope wait for that transaction's end; from
    # the pool, creates that all hold a connection and all want a second one would starve it.
    engine = session.engine
    async with _sequence_creation:  # one creation at a time per process; the others find it made
        arguments, options = engine.dialect.create_connect_args(engine.url)  # what the pool connects with
        connection = await asyncpg.connect(*arguments, **options)
        try:
            await connection.execute(f'CREATE SEQUENCE IF NOT EXISTS "{name}"')
            await connection.execute(
                "INSERT INTO number_sequences (scope, sequence_name) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                scope,
                name,
            )
        except asyncpg.UniqueViolationError:
            pass  # another process created it at the same moment; it is there now
        finally:
            await connection.close()


async def number_is_free(
    session: AsyncConnection,
    office_id: str,
    number: str,
    *,
    everywhere: bool = False,
    other_than: uuid.UUID | None = None,
) -> bool:
    """Whether no other customer has this number where it would be seen: for a local customer among its
    office's own and the global ones, for a global customer (`everywhere`) in any office. Holds the
    number's lock to commit (see `customer_number_free` in migration 0004), so creates and renumbers
    of one number in any office take turns and each sees the other's outcome."""
    parameters = {"office": office_id, "number": number, "everywhere": everywhere, "other_than": other_than}
    return bool((await session.execute(_NUMBER_IS_FREE, parameters)).scalar_one())


async def lock_external_id(session: AsyncConnection, office_id: str, system: str, value: str) -> None:
    """Hold an external id for this transaction: two syncs of one id take turns, so the second finds the
    customer the first created instead of creating a twin."""
    await hold_lock(session, external_id_lock(office_id, system, value))


def external_id_lock(office_id: str, system: str, value: str) -> str:
    """The advisory lock's name that holds an office's external id during a sync or an import."""
    return f"external-id:{office_id}:{system}:{value}"


async def holder_of_organisation_number(
    session: AsyncConnection, office_id: str, compact: str, other_than: uuid.UUID
) -> Customer | None:
    """Another customer of the office with the same normalised organisation number, if any."""
    query = select(customers).where(
        customers.c.office_id == office_id,
        customers.c.organisation_number_compact == compact,
        customers.c.id != other_than,
    )
    found = await fetch(session, query.limit(1))
    return found[0] if found else None


def _taken(exc: IntegrityError, customer: Customer) -> Exception:
    """Turn a unique-constraint violation into a 409 that names the field."""
    message = str(exc.orig)
    if "uq_customers_office_number" in message or "uq_customers_global_number" in message:
        return Conflict(
            f"Customer number {customer.customer_number} is already taken.",
            errors=[{"field": "customer_number", "message": "is already taken"}],
        )
    if "pk_external_ids" in message:
        return Conflict(
            "An external id is already used by another customer of this office.",
            errors=[{"field": "external_ids", "message": "is already used by another customer"}],
        )
    return exc
