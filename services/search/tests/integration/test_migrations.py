"""The migrations build exactly the schema the table definitions describe (the service's own and the
kit's messaging tables), and can be rolled back."""

from __future__ import annotations

from alembic import command
from sqlalchemy import Connection

from search.adapters.tables import metadata
from search_api_helpers import migrated_search_database
from servicekit.db import create_engine
from servicekit.messaging_tables import messaging_metadata
from servicekit.migrations import alembic_config, upgrade_database
from servicekit.testing.migrations import database_schema, differences_from_definitions

EVERY_TABLE = (metadata, messaging_metadata)


async def test_the_migrated_schema_matches_the_table_definitions(search_database):
    assert await differences_from_definitions(search_database, *EVERY_TABLE) == []


async def test_the_alembic_environment_would_generate_no_migration_for_the_migrated_schema(search_database):
    from search.main import MIGRATIONS

    config = alembic_config(MIGRATIONS)

    def check(connection: Connection) -> None:
        config.attributes["connection"] = connection
        command.check(config)  # raises when autogenerate finds a difference

    engine = create_engine(search_database)
    try:
        async with engine.connect() as connection:
            await connection.run_sync(check)
    finally:
        await engine.dispose()


async def test_every_migration_can_be_rolled_back_and_reapplied(infra, search_database):
    from search.main import MIGRATIONS

    async for url in migrated_search_database(infra, "search_downgrade"):
        engine = create_engine(url)
        try:
            await upgrade_database(engine, MIGRATIONS, revision="base", downgrade=True)
            rolled_back = await database_schema(url)
            await upgrade_database(engine, MIGRATIONS)
        finally:
            await engine.dispose()
        assert {column[0] for column in rolled_back["columns"]} == {"alembic_version"}
        assert await database_schema(url) == await database_schema(search_database)
