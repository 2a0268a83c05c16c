"""Checking a service's migrations: the schema a database really has, and how it differs from the code's.

Every service's migration tests ask the same two questions: does a database migrated one revision at a
time end up like one migrated straight to head, and do both equal the table definitions the code uses?
The schema is read from PostgreSQL's catalogue, so the answer does not depend on what Alembic can compare.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import MetaData, text

from servicekit.db import create_engine
from servicekit.migrations import alembic_config

_CATALOGUE = {
    "columns": """
        SELECT table_name, ordinal_position, column_name, data_type, is_nullable, column_default
        FROM information_schema.columns WHERE table_schema = 'public'
        ORDER BY table_name, ordinal_position
    """,
    "indexes": """
        SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = 'public'
        ORDER BY tablename, indexname
    """,
    "constraints": """
        SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint
        WHERE connamespace = 'public'::regnamespace
        ORDER BY 1, 2
    """,
}


def revisions_in_order(script_location: Path) -> list[str]:
    """The service's revisions from the first to head; they must form one line."""
    script = ScriptDirectory.from_config(alembic_config(script_location))
    if len(script.get_heads()) != 1:
        raise AssertionError(f"the migrations have several heads: {script.get_heads()}")
    return [revision.revision for revision in reversed(list(script.walk_revisions()))]


async def database_schema(database_url: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every column, index and constraint of the database's public schema, as PostgreSQL reports them."""
    engine = create_engine(database_url)
    try:
        async with engine.connect() as connection:
            return {
                part: [tuple(row) for row in await connection.execute(text(query))]
                for part, query in _CATALOGUE.items()
            }
    finally:
        await engine.dispose()


async def differences_from_definitions(database_url: str, *metadata: MetaData) -> list[Any]:
    """What Alembic's autogenerate would change to make the database match the table definitions."""
    engine = create_engine(database_url)
    try:
        async with engine.connect() as connection:
            with warnings.catch_warnings():
                # Alembic cannot compare expression indexes with operator classes; database_schema does.
                warnings.simplefilter("ignore", UserWarning)
                # compare_metadata takes a list of MetaData, like target_metadata, though typed for one.
                return await connection.run_sync(
                    lambda sync: compare_metadata(MigrationContext.configure(sync), list(metadata))  # type: ignore[arg-type]
                )
    finally:
        await engine.dispose()
