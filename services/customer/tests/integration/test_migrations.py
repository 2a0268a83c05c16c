"""The migrations build exactly the schema the table definitions describe (the service's own tables, the
kit's messaging tables and the copies it keeps), the same whether a database is migrated one revision at a
time or straight to head; they can be rolled back, and the Alembic environment compares every table."""

from __future__ import annotations

from customer.adapters.tables import metadata
from customer.main import MIGRATIONS
from servicekit.copy_tables import contact_copy_metadata
from servicekit.imports.tables import import_metadata
from servicekit.messaging_tables import messaging_metadata
from servicekit.testing.migrations import (
    alembic_would_generate_nothing,
    database_schema,
    differences_from_definitions,
    schema_migrated_step_by_step,
    schemas_rolled_back_and_reapplied,
)

EVERY_TABLE = (metadata, messaging_metadata, contact_copy_metadata, import_metadata)


async def test_the_migrated_schema_matches_the_table_definitions(customer_database):
    assert await differences_from_definitions(customer_database, *EVERY_TABLE) == []
    await alembic_would_generate_nothing(customer_database, MIGRATIONS)


async def test_a_database_migrated_one_revision_at_a_time_equals_one_migrated_straight_to_head(
    infra, customer_database
):
    assert await schema_migrated_step_by_step(infra, MIGRATIONS) == await database_schema(customer_database)


async def test_every_migration_can_be_rolled_back_and_reapplied(infra, customer_database):
    rolled_back, reapplied = await schemas_rolled_back_and_reapplied(infra, MIGRATIONS)
    assert {column[0] for column in rolled_back["columns"]} == {"alembic_version"}
    assert reapplied == await database_schema(customer_database)
