"""The migrations build exactly the schema the table definitions describe, the same whether a database
is migrated one revision at a time or straight to head, and can be rolled back."""

from __future__ import annotations

from customer.adapters.tables import metadata
from customer_api_helpers import migrated_customer_database
from servicekit.copy_tables import contact_copy_metadata
from servicekit.db import create_engine
from servicekit.messaging_tables import messaging_metadata
from servicekit.migrations import upgrade_database
from servicekit.testing.databases import create_database, drop_database, with_database
from servicekit.testing.migrations import database_schema, differences_from_definitions, revisions_in_order


async def test_the_migrated_schema_matches_the_table_definitions(customer_database):
    assert (
        await differences_from_definitions(
            customer_database, metadata, messaging_metadata, contact_copy_metadata
        )
        == []
    )


async def test_a_database_migrated_one_revision_at_a_time_equals_one_migrated_straight_to_head(
    infra, customer_database
):
    from customer.main import MIGRATIONS

    revisions = revisions_in_order(MIGRATIONS)
    assert revisions[:3] == ["0001", "0002", "0003"]
    name = await create_database(infra.pg_admin_url, "customer_stepwise")
    url = with_database(infra.pg_admin_url, name, driver="asyncpg")
    try:
        engine = create_engine(url)
        try:
            for revision in revisions:
                await upgrade_database(engine, MIGRATIONS, revision)
        finally:
            await engine.dispose()
        stepwise, straight = await database_schema(url), await database_schema(customer_database)
        assert stepwise["indexes"], "the catalogue query found no indexes; the comparison would be empty"
        assert stepwise == straight
        assert (
            await differences_from_definitions(url, metadata, messaging_metadata, contact_copy_metadata) == []
        )
    finally:
        await drop_database(infra.pg_admin_url, name)


async def test_every_migration_can_be_rolled_back_and_reapplied(infra, customer_database):
    from customer.main import MIGRATIONS

    async for url in migrated_customer_database(infra, "customer_downgrade"):
        engine = create_engine(url)
        try:
            await upgrade_database(engine, MIGRATIONS, revision="base", downgrade=True)
            rolled_back = await database_schema(url)
            await upgrade_database(engine, MIGRATIONS)
        finally:
            await engine.dispose()
        assert {column[0] for column in rolled_back["columns"]} == {"alembic_version"}
        assert await database_schema(url) == await database_schema(customer_database)
