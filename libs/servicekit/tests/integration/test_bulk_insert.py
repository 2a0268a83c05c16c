"""`insert_many` stores exactly what an executemany of the table's own insert stores, by COPY inside the
transaction and by its array form before the transaction has begun, every column type the services use
included (uuid, text, integer, boolean, timestamptz, JSON null and SQL NULL); a violated constraint is an
`IntegrityError` either way."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Integer,
    MetaData,
    Table,
    Text,
    Uuid,
    insert,
    select,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.exc import IntegrityError

from servicekit import bulk
from servicekit.bulk import insert_many
from servicekit.db import create_engine

metadata = MetaData()
things = Table(
    "bulk_things",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("key", Uuid, nullable=False, unique=True),
    Column("name", Text),
    Column("count", Integer),
    Column("flag", Boolean),
    Column("at", DateTime(timezone=True)),
    Column("doc", JSONB),
    Column("strict_doc", JSONB(none_as_null=True)),
)


def _rows() -> list[dict]:
    at = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
    return [
        {
            "key": uuid.uuid4(),
            "name": f"thing {n}" if n else None,
            "count": n,
            "flag": n % 2 == 0,
            "at": at,
            # Beyond 64 bits, orjson refuses an integer that the standard library writes.
            "doc": [None, {"a": n}, {"big": 2**70, "city": "Tromsø"}, None][n],
            "strict_doc": [None, {"a": n}, "x", None][n],
        }
        for n in range(4)
    ]


@pytest.fixture
async def engine(publisher_database):
    engine = create_engine(publisher_database)
    async with engine.begin() as connection:
        await connection.run_sync(metadata.create_all)
    yield engine
    await engine.dispose()


@pytest.fixture
def copy_always(monkeypatch):
    """COPY however few the rows (these tests insert four), so both forms are tested."""
    monkeypatch.setattr(bulk, "COPY_FROM_ROWS", 1)


async def test_insert_many_stores_what_executemany_stores(engine, copy_always):
    async with engine.connect() as connection:
        await connection.begin()
        await insert_many(connection, things, _rows())  # the first statement: the array form
        await connection.execute(insert(things), _rows())
        await insert_many(connection, things, _rows())  # inside the transaction: COPY
        await insert_many(connection, things, [])  # nothing to do
        await connection.commit()
        query = select(
            things.c.name,
            things.c.count,
            things.c.flag,
            things.c.at,
            things.c.doc,
            things.c.doc.is_(None),
            things.c.strict_doc,
            things.c.strict_doc.is_(None),
        ).order_by(things.c.id)
        stored = (await connection.execute(query)).all()
    assert len(stored) == 12
    assert stored[:4] == stored[4:8] == stored[8:]
    # JSON null, as SQLAlchemy stores it; with none_as_null, SQL NULL
    assert [row[5] for row in stored[:4]] == [False] * 4
    assert [row[7] for row in stored[:4]] == [True, False, False, True]


@pytest.mark.parametrize("inside", [False, True])
async def test_a_violated_constraint_is_an_integrity_error(engine, inside, copy_always):
    rows = _rows()
    async with engine.connect() as connection:
        await connection.begin()
        if inside:
            await connection.execute(text("SELECT 1"))
        with pytest.raises(IntegrityError):
            await insert_many(connection, things, rows + rows[:1])
        await connection.rollback()
