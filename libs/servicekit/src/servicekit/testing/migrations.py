"""Checking a service's migrations: the schema a database really has, and how it differs from the code's.

Every service's migration tests ask the same two questions: does a database migrated one revision at a
time end up like one migrated straight to head, and do both equal the table definitions the code uses?
The schema is read from PostgreSQL's catalogue, so the answer does not depend on what Alembic can compare.
"""

from __future__ import annotations

import inspect
import warnings
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, MetaData, text

from servicekit.db import create_engine
from servicekit.migrations import alembic_config, upgrade_database
from servicekit.testing.databases import create_database, drop_database, with_database
from servicekit.testing.infrastructure import Infrastructure

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


@asynccontextmanager
async def migrated_database(infra: Infrastructure, prefix: str, migrations: Path) -> AsyncIterator[str]:
    """A fresh database with the service's migrations applied (its URL), dropped afterwards."""
    name = await create_database(infra.pg_admin_url, prefix)
    url = with_database(infra.pg_admin_url, name, driver="asyncpg")
    try:
        engine = create_engine(url)
        try:
            await upgrade_database(engine, migrations)
        finally:
            await engine.dispose()
        yield url
    finally:
        await drop_database(infra.pg_admin_url, name)


async def alembic_would_generate_nothing(database_url: str, migrations: Path) -> None:
    """Raise when the service's Alembic environment would autogenerate a migration for this database:
    its env.py names every table the service has (its own, the kit's, its copies)."""
    config = alembic_config(migrations)

    def check(connection: Connection) -> None:
        config.attributes["connection"] = connection
        command.check(config)

    engine = create_engine(database_url)
    try:
        async with engine.connect() as connection:
            await connection.run_sync(check)
    finally:
        await engine.dispose()


async def schema_migrated_step_by_step(
    infra: Infrastructure, migrations: Path
) -> dict[str, list[tuple[Any, ...]]]:
    """The schema of a fresh database migrated one revision at a time to head."""
    name = await create_database(infra.pg_admin_url, "stepwise")
    url = with_database(infra.pg_admin_url, name, driver="asyncpg")
    try:
        engine = create_engine(url)
        try:
            for revision in revisions_in_order(migrations):
                await upgrade_database(engine, migrations, revision)
        finally:
            await engine.dispose()
        schema = await database_schema(url)
        if not schema["indexes"]:
            raise AssertionError("the catalogue query found no indexes; a comparison would be empty")
        return schema
    finally:
        await drop_database(infra.pg_admin_url, name)


async def schemas_rolled_back_and_reapplied(
    infra: Infrastructure, migrations: Path
) -> tuple[dict[str, list[tuple[Any, ...]]], dict[str, list[tuple[Any, ...]]]]:
    """The schema of a migrated database after every migration is rolled back, and after they are all
    applied again."""
    async with migrated_database(infra, "downgrade", migrations) as url:
        engine = create_engine(url)
        try:
            await upgrade_database(engine, migrations, revision="base", downgrade=True)
            rolled_back = await database_schema(url)
            await upgrade_database(engine, migrations)
        finally:
            await engine.dispose()
        return rolled_back, await database_schema(url)


MigrationTest = Callable[..., Awaitable[None]]


def migration_tests(
    migrations: Path, *metadata: MetaData, database: str
) -> tuple[MigrationTest, MigrationTest, MigrationTest]:
    """The three migration tests every service runs, bound to its migrations, every table it has (its
    own, the kit's messaging tables, its copies) and the name of its migrated-database fixture. A
    service's `tests/integration/test_migrations.py` is one statement:

        (
            test_the_migrated_schema_matches_the_table_definitions,
            test_a_database_migrated_one_revision_at_a_time_equals_one_migrated_straight_to_head,
            test_every_migration_can_be_rolled_back_and_reapplied,
        ) = migration_tests(MIGRATIONS, metadata, messaging_metadata, database="contact_database")
    """

    async def test_the_migrated_schema_matches_the_table_definitions(infra: Infrastructure, url: str) -> None:
        assert await differences_from_definitions(url, *metadata) == []
        await alembic_would_generate_nothing(url, migrations)

    async def test_a_database_migrated_one_revision_at_a_time_equals_one_migrated_straight_to_head(
        infra: Infrastructure, url: str
    ) -> None:
        assert await schema_migrated_step_by_step(infra, migrations) == await database_schema(url)

    async def test_every_migration_can_be_rolled_back_and_reapplied(infra: Infrastructure, url: str) -> None:
        rolled_back, reapplied = await schemas_rolled_back_and_reapplied(infra, migrations)
        assert {column[0] for column in rolled_back["columns"]} == {"alembic_version"}
        assert reapplied == await database_schema(url)

    return (
        _taking_fixtures(test_the_migrated_schema_matches_the_table_definitions, database),
        _taking_fixtures(
            test_a_database_migrated_one_revision_at_a_time_equals_one_migrated_straight_to_head, database
        ),
        _taking_fixtures(test_every_migration_can_be_rolled_back_and_reapplied, database),
    )


def _taking_fixtures(test: Callable[[Infrastructure, str], Awaitable[None]], database: str) -> MigrationTest:
    """`test` as pytest collects it: asking for the `infra` fixture and the service's database fixture."""

    async def run(**fixtures: Any) -> None:
        await test(fixtures["infra"], fixtures[database])

    run.__name__ = run.__qualname__ = test.__name__
    run.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [
            inspect.Parameter("infra", inspect.Parameter.KEYWORD_ONLY),
            inspect.Parameter(database, inspect.Parameter.KEYWORD_ONLY),
        ]
    )
    return run
