"""The migrations build exactly the schema the table definitions describe (the service's own, the kit's
messaging tables and its customer copy), the same whether a database is migrated one revision at a time or
straight to head, and can be rolled back; the Alembic environment compares all of them."""

from __future__ import annotations

from alembic import command
from sqlalchemy import Connection

from contact.adapters.tables import metadata
from contact_api_helpers import migrated_contact_database
from servicekit.copy_tables import customer_copy_metadata
from servicekit.db import create_engine
from servicekit.messaging_tables import messaging_metadata
from servicekit.migrations import alembic_config, upgrade_database
from servicekit.testing.databases import create_database, drop_database, with_database
from servicekit.testing.migrations import database_schema, differences_from_definitions, revisions_in_order

EVERY_TABLE = (metadata, messaging_metadata, customer_copy_metadata)


async def test_the_migrated_schema_matches_the_table_definitions(contact_database):
    assert await differences_from_definitions(contact_database, *EVERY_TABLE) == []


async def test_the_alembic_environment_would_generate_no_migration_for_the_migrated_schema(contact_database):
    from contact.main import MIGRATIONS

    config = alembic_config(MIGRATIONS)

    def check(connection: Connection) -> None:
        config.attributes["connection"] = connection
        command.check(config)  # raises when autogenerate finds a difference

    engine = create_engine(contact_database)
    try:
        async with engine.connect() as connection:
            await connection.run_sync(check)
    finally:
        await engine.dispose()


async def test_a_database_migrated_one_revision_at_a_time_equals_one_migrated_straight_to_head(
    infra, contact_database
):
    from contact.main import MIGRATIONS

    revisions = revisions_in_order(MIGRATIONS)
    assert revisions[:1] == ["0001"]
    name = await create_database(infra.pg_admin_url, "contact_stepwise")
    url = with_database(infra.pg_admin_url, name, driver="asyncpg")
    try:
        engine = create_engine(url)
        try:
            for revision in revisions:
                await upgrade_database(engine, MIGRATIONS, revision)
        finally:
            await engine.dispose()
        stepwise, straight = await database_schema(url), await database_schema(contact_database)
        assert stepwise["indexes"], "the catalogue query found no indexes; the comparison would be empty"
        assert stepwise == straight
        assert await differences_from_definitions(url, *EVERY_TABLE) == []
    finally:
        await drop_database(infra.pg_admin_url, name)


async def test_every_migration_can_be_rolled_back_and_reapplied(infra, contact_database):
    from contact.main import MIGRATIONS

    async for url in migrated_contact_database(infra, "contact_downgrade"):
        engine = create_engine(url)
        try:
            await upgrade_database(engine, MIGRATIONS, revision="base", downgrade=True)
            rolled_back = await database_schema(url)
            await upgrade_database(engine, MIGRATIONS)
        finally:
            await engine.dispose()
        assert {column[0] for column in rolled_back["columns"]} == {"alembic_version"}
        assert await database_schema(url) == await database_schema(contact_database)
