"""Copies of other services' aggregates, kept by their events: a newer version always wins, an older never.

Rule: a consumer that keeps a copy of an aggregate (the search service its customers, the portal its
contacts) writes it with ``store_if_newer``: insert it, or overwrite the stored one only when the event's
``aggregate_version`` is higher. Reason: events of one aggregate reach a consumer out of order whenever a
retry, a dead letter replayed later, or a second replica on the same queue is involved, and each event
carries the aggregate's full state, so the highest version seen is the truth. The guard sits in the
statement itself (``ON CONFLICT … DO UPDATE … WHERE stored.version < new.version``), so two transactions
racing on one row serialise on the row's lock and the newer still wins.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects.postgresql import Insert, insert
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.dml import ReturningInsert


@lru_cache(maxsize=256)
def upsert_if_newer(table: Table, *, key: str = "aggregate_id", version: str = "aggregate_version") -> Insert:
    """The statement: insert the row, or replace every column of the stored one when its `version` is
    lower. Execute it with one row, or with a list of rows (one statement per row, so rows of one
    aggregate may repeat; with `.returning(...)` they may not)."""
    statement = insert(table)
    replaced = {
        column.name: statement.excluded[column.name] for column in table.columns if column.name != key
    }
    return statement.on_conflict_do_update(
        index_elements=[table.c[key]], set_=replaced, where=table.c[version] < statement.excluded[version]
    )


async def store_if_newer(
    session: AsyncConnection,
    table: Table,
    row: Mapping[str, Any],
    *,
    key: str = "aggregate_id",
    version: str = "aggregate_version",
) -> bool:
    """Store the aggregate's state unless a newer (or the same) version is already stored; say whether
    it was stored."""
    statement = _upsert_if_newer_returning_key(table, key, version)
    return (await session.execute(statement, dict(row))).first() is not None


async def store_all_if_newer(
    session: AsyncConnection,
    table: Table,
    rows: Sequence[Mapping[str, Any]],
    *,
    key: str = "aggregate_id",
    version: str = "aggregate_version",
) -> set[Any]:
    """`store_if_newer` for several aggregates in one statement (at most one row per aggregate); the
    keys of those it stored."""
    if not rows:
        return set()
    statement = _upsert_if_newer_returning_key(table, key, version)
    return set((await session.execute(statement, [dict(row) for row in rows])).scalars())


@lru_cache(maxsize=256)
def _upsert_if_newer_returning_key(table: Table, key: str, version: str) -> ReturningInsert[Any]:
    return upsert_if_newer(table, key=key, version=version).returning(table.c[key])
