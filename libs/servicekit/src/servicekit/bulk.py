"""Inserting many rows of a table at once: by COPY inside the open transaction, else in one statement
whose columns go as arrays, unnested by PostgreSQL.

Reason: an executemany is one bind and execute per row on the server, however well pipelined. COPY (binary,
encoded by the driver) is the fastest way in, several times an executemany in our measurements; it runs on
the session's driver connection, and only inside its transaction (before the first statement has begun
it, the array form runs instead, through SQLAlchemy, which begins it). Values are stored as an
executemany of the table's insert stores them: JSON columns are serialised as JSON text (None as JSON null
unless the column's type says `none_as_null`), by orjson, since an import batch's history lines carry two
JSON values each, eleven lines per new customer, and `json.dumps` took 2.4 µs a value against 0.4. A
constraint violation is raised as SQLAlchemy's `IntegrityError` either way. COPY only from `COPY_FROM_ROWS`
rows: it takes more exchanges with the server than one statement (asyncpg first looks up the columns'
types, then starts, sends and ends the copy), which pays off for an import batch's thousands of rows but
not for the dozen history lines of one create.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import asyncpg
import orjson
from sqlalchemy import JSON, Table, text
from sqlalchemy.dialects import postgresql
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.elements import TextClause

_DIALECT = postgresql.dialect()  # type: ignore[no-untyped-call]
_statements: dict[tuple[str, tuple[str, ...]], TextClause] = {}

COPY_FROM_ROWS = 100


async def insert_many(session: AsyncConnection, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert the rows (all with the same keys, each a column of `table`) in one statement."""
    if not rows:
        return
    names = tuple(rows[0])
    columns = [_values(table, name, rows) for name in names]
    driver = (await session.get_raw_connection()).driver_connection
    if len(rows) >= COPY_FROM_ROWS and driver is not None and driver.is_in_transaction():
        try:
            await driver.copy_records_to_table(
                table.name, records=list(zip(*columns, strict=True)), columns=names, schema_name=table.schema
            )
        except asyncpg.IntegrityConstraintViolationError as exc:
            raise IntegrityError(f"COPY {table.name}", None, exc) from exc
        return
    statement = _statements.get((table.name, names))
    if statement is None:
        statement = _statements[(table.name, names)] = _statement(table, names)
    await session.execute(statement, {f"c{n}": values for n, values in enumerate(columns)})


def _values(table: Table, name: str, rows: Sequence[Mapping[str, Any]]) -> list[Any]:
    column_type = table.c[name].type
    values = [row[name] for row in rows]
    if isinstance(column_type, JSON):
        keep_none = column_type.none_as_null
        return [None if value is None and keep_none else _json_text(value) for value in values]
    return values


def _json_text(value: Any) -> str:
    try:
        return orjson.dumps(value).decode()
    except TypeError:  # what orjson refuses and the standard library writes (an integer beyond 64 bits)
        return json.dumps(value)


def _statement(table: Table, names: tuple[str, ...]) -> TextClause:
    arrays = []
    for n, name in enumerate(names):
        column_type = table.c[name].type
        if isinstance(column_type, JSON):
            sql_type = column_type.compile(dialect=_DIALECT)
            arrays.append(f"CAST(CAST(:c{n} AS text[]) AS {sql_type}[])")
        else:
            arrays.append(f"CAST(:c{n} AS {column_type.compile(dialect=_DIALECT)}[])")
    columns = ", ".join(f'"{name}"' for name in names)
    return text(f'INSERT INTO "{table.name}" ({columns}) SELECT * FROM unnest({", ".join(arrays)})')
