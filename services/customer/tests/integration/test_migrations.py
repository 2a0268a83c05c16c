"""The migrations build exactly the schema the table definitions describe, and can be rolled back."""

from __future__ import annotations

import warnings

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from customer.adapters.tables import metadata
from customer_api_helpers import migrated_customer_database
from servicekit.db import create_engine
from servicekit.messaging_tables import messaging_metadata
from servicekit.migrations import upgrade_database


async def test_the_migrated_schema_matches_the_table_definitions(customer_database):
    engine = create_engine(customer_database)
    try:
        async with engine.connect() as connection:
            with warnings.catch_warnings():
                # Alembic cannot compare the expression indexes with operator classes; they are checked by use.
                warnings.simplefilter("ignore", UserWarning)
                differences = await connection.run_sync(
                    lambda sync: compare_metadata(
                        MigrationContext.configure(sync), [metadata, messaging_metadata]
                    )
                )
    finally:
        await engine.dispose()
    assert differences == []


async def test_every_migration_can_be_rolled_back_and_reapplied(infra):
    from customer.main import MIGRATIONS

    async for url in migrated_customer_database(infra, "customer_downgrade"):
        engine = create_engine(url)
        try:
            await upgrade_database(engine, MIGRATIONS, revision="base", downgrade=True)
            await upgrade_database(engine, MIGRATIONS)
        finally:
            await engine.dispose()
