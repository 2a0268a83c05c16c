"""The migrations build exactly the schema the table definitions describe (the service's own tables, the
kit's messaging tables and the copies of customers and contacts), and can be rolled back."""

from __future__ import annotations

from activity.adapters.tables import metadata
from activity_api_helpers import migrated_activity_database
from servicekit.copy_tables import contact_copy_metadata, customer_copy_metadata
from servicekit.db import create_engine
from servicekit.messaging_tables import messaging_metadata
from servicekit.migrations import upgrade_database
from servicekit.testing.migrations import database_schema, differences_from_definitions, revisions_in_order

EVERY_TABLE = (metadata, messaging_metadata, customer_copy_metadata, contact_copy_metadata)


async def test_the_migrated_schema_matches_the_table_definitions(activity_database):
    assert await differences_from_definitions(activity_database, *EVERY_TABLE) == []
    tables = {column[0] for column in (await database_schema(activity_database))["columns"]}
    assert {
        "activities",
        "customer_copies",
        "contact_copies",
        "outbox",
        "inbox",
        "idempotency_keys",
    } <= tables


async def test_the_revisions_form_one_line():
    from activity.main import MIGRATIONS

    assert revisions_in_order(MIGRATIONS) == ["0001"]


async def test_every_migration_can_be_rolled_back_and_reapplied(infra, activity_database):
    from activity.main import MIGRATIONS

    async for url in migrated_activity_database(infra, "activity_downgrade"):
        engine = create_engine(url)
        try:
            await upgrade_database(engine, MIGRATIONS, revision="base", downgrade=True)
            rolled_back = await database_schema(url)
            await upgrade_database(engine, MIGRATIONS)
        finally:
            await engine.dispose()
        assert {column[0] for column in rolled_back["columns"]} == {"alembic_version"}
        assert await database_schema(url) == await database_schema(activity_database)
