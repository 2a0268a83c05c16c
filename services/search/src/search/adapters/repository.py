"""Reads and writes of the search service's tables (`search.adapters.tables`).

Every write is an upsert guarded by the version: a row changes only when the event is newer than what
the row holds, so a stale or repeated event is a no-op whatever order events arrive in. The one other
write is a rebuild's: it marks deleted the contacts the owner no longer has (`forget_missing_contacts`).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession

from search.adapters.tables import categories, contacts, customers, rebuilds
from servicekit.copies import upsert_if_newer

Connection = AsyncSession | AsyncConnection


async def _upsert(session: Connection, table: sa.Table, values: dict[str, Any]) -> None:
    # Every write names every column, so the kit's statement (all columns but the key) fits.
    await session.execute(upsert_if_newer(table, key="id", version="version"), values)


async def keep_customer(session: Connection, state: dict[str, Any], *, version: int, deleted: bool) -> None:
    await _upsert(
        session,
        customers,
        {
            "id": uuid.UUID(state["id"]),
            "office_id": state["office_id"],
            "version": version,
            "deleted": deleted,
            "category_ids": [uuid.UUID(c) for c in state.get("category_ids", [])],
            "state": state,
        },
    )


async def keep_contact(session: Connection, state: dict[str, Any], *, version: int, deleted: bool) -> None:
    await _upsert(
        session,
        contacts,
        {
            "id": uuid.UUID(state["id"]),
            "customer_id": uuid.UUID(state["customer_id"]),
            "version": version,
            "deleted": deleted,
            "state": state,
        },
    )


async def forget_missing_contacts(
    session: Connection,
    *,
    after: uuid.UUID | None,
    through: uuid.UUID | None,
    present: Iterable[uuid.UUID],
    changed_before: datetime,
) -> None:
    """Mark deleted the kept contacts with an id in (after, through] (unbounded where None) that are not
    `present` and were last changed before `changed_before`. The version stays: a newer event of one
    that does exist after all brings it back."""
    query = (
        sa.update(contacts)
        .where(
            ~contacts.c.deleted,
            contacts.c.id.not_in(list(present)),
            sa.cast(contacts.c.state["updated_at"].astext, sa.DateTime(timezone=True)) < changed_before,
        )
        .values(deleted=True)
    )
    if after is not None:
        query = query.where(contacts.c.id > after)
    if through is not None:
        query = query.where(contacts.c.id <= through)
    await session.execute(query)


async def keep_category(session: Connection, state: dict[str, Any], *, version: int, deleted: bool) -> None:
    await _upsert(
        session,
        categories,
        {
            "id": uuid.UUID(state["id"]),
            "office_id": state["office_id"],
            "name": state["name"],
            "version": version,
            "deleted": deleted,
        },
    )


async def customers_with_category(session: Connection, category_id: uuid.UUID) -> list[uuid.UUID]:
    rows = await session.execute(
        sa.select(customers.c.id).where(customers.c.category_ids.contains([category_id]))
    )
    return list(rows.scalars())


async def locked_customers(session: Connection, ids: Iterable[uuid.UUID]) -> Sequence[Any]:
    """The customers' rows (deleted ones too), locked until the transaction ends, in id order so two
    consumers locking overlapping sets never deadlock: one document is built by one consumer at a time."""
    rows = await session.execute(
        sa.select(customers.c.id, customers.c.version, customers.c.deleted, customers.c.state)
        .where(customers.c.id.in_(sorted(ids)))
        .order_by(customers.c.id)
        .with_for_update()
    )
    return rows.all()


async def live_contacts(session: Connection, customer_ids: Iterable[uuid.UUID]) -> Sequence[Any]:
    rows = await session.execute(
        sa.select(contacts.c.customer_id, contacts.c.state).where(
            contacts.c.customer_id.in_(list(customer_ids)), sa.not_(contacts.c.deleted)
        )
    )
    return rows.all()


async def category_names(session: Connection, ids: Iterable[uuid.UUID]) -> dict[str, str]:
    rows = await session.execute(
        sa.select(categories.c.id, categories.c.name).where(
            categories.c.id.in_(list(ids)), sa.not_(categories.c.deleted)
        )
    )
    return {str(row.id): row.name for row in rows}


async def office_category_names(session: Connection, office_id: str, ids: Iterable[str]) -> dict[str, str]:
    """Names of the office's categories among these ids (for facet labels)."""
    wanted = []
    for value in ids:
        try:
            wanted.append(uuid.UUID(value))
        except ValueError:
            continue
    if not wanted:
        return {}
    rows = await session.execute(
        sa.select(categories.c.id, categories.c.name).where(
            categories.c.id.in_(wanted), categories.c.office_id == office_id
        )
    )
    return {str(row.id): row.name for row in rows}


# The rebuild's gate: every consumed batch holds it shared until it commits; starting a rebuild (naming its
# new index) and moving the alias hold it exclusively. So a batch either began after the new index was
# named, and writes to it too, or had committed before; and none is between the alias move and its commit.
REBUILD_GATE = 0x5EA2C4_0001
# Held by the running rebuild for its whole run, on a connection of its own (one rebuild at a time).
REBUILD_LOCK = 0x5EA2C4_0002


async def pass_rebuild_gate(session: Connection) -> str | None:
    """Hold the gate shared for this transaction; the index a running rebuild builds, if any."""
    await session.execute(sa.select(sa.func.pg_advisory_xact_lock_shared(REBUILD_GATE)))
    return await session.scalar(
        sa.select(rebuilds.c.target_index).where(
            rebuilds.c.id == 1, rebuilds.c.state == "running", _rebuild_lock_held()
        )
    )


def _rebuild_lock_held() -> sa.TextClause:
    """Whether a live session holds the rebuild lock: a rebuild whose process died left its row
    `running`, and its index is not written to any more (the next rebuild deletes it)."""
    # pg_advisory_lock(bigint) shows the key's high 32 bits as classid, its low ones as objid.
    return sa.text(
        "EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted AND objsubid = 1"
        " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
        f" AND classid::bigint = {REBUILD_LOCK >> 32} AND objid::bigint = {REBUILD_LOCK & 0xFFFFFFFF})"
    )


async def close_rebuild_gate(session: Connection) -> None:
    """Hold the gate exclusively for this transaction: no batch is in flight, none starts until commit."""
    await session.execute(sa.select(sa.func.pg_advisory_xact_lock(REBUILD_GATE)))


async def rebuild_row(session: Connection) -> Any:
    """The latest rebuild's row, with `alive`: whether a session holds the rebuild lock."""
    alive: sa.Label[bool] = sa.literal_column(_rebuild_lock_held().text, sa.Boolean).label("alive")
    rows = await session.execute(sa.select(rebuilds, alive).where(rebuilds.c.id == 1))
    return rows.first()


async def save_rebuild(session: Connection, **values: Any) -> None:
    statement = insert(rebuilds).values(id=1, **values)
    statement = statement.on_conflict_do_update(index_elements=[rebuilds.c.id], set_=values)
    await session.execute(statement)


async def update_rebuild(session: Connection, **values: Any) -> None:
    await session.execute(sa.update(rebuilds).where(rebuilds.c.id == 1).values(**values))


async def hold_rebuild_lock(engine: AsyncEngine) -> AsyncConnection | None:
    """A connection of its own holding the one-rebuild-at-a-time lock (session-level, so it lasts across
    the rebuild's transactions and is released if the process dies); None when another rebuild holds it."""
    connection = await engine.connect()
    try:
        got = await connection.scalar(sa.select(sa.func.pg_try_advisory_lock(REBUILD_LOCK)))
        await connection.commit()
    except BaseException:
        await connection.close()
        raise
    if not got:
        await connection.close()
        return None
    return connection


async def release_rebuild_lock(connection: AsyncConnection) -> None:
    try:
        await connection.execute(sa.select(sa.func.pg_advisory_unlock(REBUILD_LOCK)))
        await connection.commit()
    finally:
        await connection.close()
