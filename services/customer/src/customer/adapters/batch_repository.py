"""Reading and writing many customers in one statement each: the import's batch path.

Each function is the batch form of one in `repository` (or a rule's read in `service.checks`) and takes
the same locks, for all of a batch at once and in sorted order, so two jobs lock in one order and wait for
each other instead of deadlocking. A lock is always taken by a statement of its own before the read it
guards: a read sees what was committed before its statement began.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncConnection

from customer.adapters import repository
from customer.adapters.repository import visible_to
from customer.adapters.tables import addresses, customers, external_ids
from customer.domain.customer import Customer
from servicekit.bulk import insert_many

_LOCK_ALL = text(
    "SELECT count(pg_advisory_xact_lock(hashtextextended(k, 0))) FROM unnest(CAST(:keys AS text[])) AS k"
)
_IDS_BY_EXTERNAL_IDS = text(
    "SELECT e.system, e.value, e.customer_id FROM external_ids e "
    "JOIN unnest(CAST(:systems AS text[]), CAST(:values AS text[])) AS w(system, value) "
    "ON e.system = w.system AND e.value = w.value WHERE e.office_id = :office"
)
_FREE_NUMBERS = text(
    "SELECT n FROM unnest(CAST(:numbers AS text[])) AS n "
    "WHERE customer_number_free(:office, n, :everywhere, NULL)"
)
_NEXT_NUMBERS = text(
    "SELECT nextval(c.oid::regclass) FROM pg_class c, generate_series(1, :count) "
    "WHERE c.relname = :name AND c.relkind = 'S' AND c.relnamespace = current_schema()::regnamespace"
)


async def hold_locks(session: AsyncConnection, names: Iterable[str]) -> None:
    """`servicekit.db.hold_lock` for many names, in one statement and sorted order."""
    keys = sorted(set(names))
    if keys:
        await session.execute(_LOCK_ALL, {"keys": keys})


async def ids_by_numbers(
    session: AsyncConnection, office_id: str, numbers: Iterable[str]
) -> dict[str, uuid.UUID]:
    """`import_lookup.id_by_number` for many numbers: the customers the office sees under them."""
    wanted = sorted(set(numbers))
    if not wanted:
        return {}
    query = select(customers.c.customer_number, customers.c.id).where(
        visible_to(office_id), customers.c.customer_number.in_(wanted)
    )
    found: dict[str, uuid.UUID] = {}
    for number, customer_id in (await session.execute(query)).all():
        found.setdefault(number, customer_id)
    return found


async def ids_by_external_ids(
    session: AsyncConnection, office_id: str, pairs: Iterable[tuple[str, str]]
) -> dict[tuple[str, str], uuid.UUID]:
    """The customers of the office holding these (system, value) external ids."""
    wanted = sorted(set(pairs))
    if not wanted:
        return {}
    parameters = {"systems": [s for s, _ in wanted], "values": [v for _, v in wanted], "office": office_id}
    rows = (await session.execute(_IDS_BY_EXTERNAL_IDS, parameters)).all()
    return {(row.system, row.value): row.customer_id for row in rows}


async def get_many(
    session: AsyncConnection, customer_ids: Iterable[uuid.UUID], office_id: str, *, for_update: bool = False
) -> dict[uuid.UUID, Customer]:
    """`repository.get` for many ids, locked in id order."""
    wanted = sorted(set(customer_ids))
    if not wanted:
        return {}
    query = (
        select(customers).where(customers.c.id.in_(wanted), visible_to(office_id)).order_by(customers.c.id)
    )
    if for_update:
        query = query.with_for_update()
    return {customer.id: customer for customer in await repository.fetch(session, query)}


async def organisation_number_holders(
    session: AsyncConnection, office_id: str, compacts: Iterable[str]
) -> dict[str, set[uuid.UUID]]:
    """The customers of the office holding each normalised organisation number (read after the caller
    took the numbers' locks)."""
    wanted = sorted(set(compacts))
    if not wanted:
        return {}
    query = select(customers.c.organisation_number_compact, customers.c.id).where(
        customers.c.office_id == office_id, customers.c.organisation_number_compact.in_(wanted)
    )
    holders: dict[str, set[uuid.UUID]] = {}
    for compact, customer_id in (await session.execute(query)).all():
        holders.setdefault(compact, set()).add(customer_id)
    return holders


async def free_numbers(
    session: AsyncConnection, office_id: str, numbers: Iterable[str], *, everywhere: bool = False
) -> set[str]:
    """`repository.number_is_free` for many numbers: those free, each number's lock held to commit (taken
    in sorted order)."""
    wanted = sorted(set(numbers))
    if not wanted:
        return set()
    parameters = {"numbers": wanted, "office": office_id, "everywhere": everywhere}
    return set((await session.execute(_FREE_NUMBERS, parameters)).scalars())


async def next_numbers(session: AsyncConnection, scope: str, count: int) -> list[int]:
    """`repository.next_number` drawn `count` times in one statement, in drawing order."""
    if count <= 0:
        return []
    name = repository.sequence_name(scope)
    values = [
        int(v) for v in (await session.execute(_NEXT_NUMBERS, {"name": name, "count": count})).scalars()
    ]
    if not values:  # the scope's first numbers: `next_number` creates its sequence
        values = [await repository.next_number(session, scope)]
        values += await next_numbers(session, scope, count - 1)
    return sorted(values)


async def add_many(session: AsyncConnection, new: Sequence[Customer]) -> None:
    """`repository.add` for many customers: each table written in one statement (`insert_many`). A unique violation
    raises `IntegrityError` for the whole batch; the caller decides again row by row."""
    if not new:
        return
    await insert_many(session, customers, [repository.to_row(c) for c in new])
    await insert_many(session, addresses, [row for c in new for row in repository.address_rows(c)])
    id_rows: list[dict[str, Any]] = [
        {"office_id": c.office_id, "system": system, "value": value, "customer_id": c.id}
        for c in new
        for system, value in c.external_ids.items()
    ]
    await insert_many(session, external_ids, id_rows)
