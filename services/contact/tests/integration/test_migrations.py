"""The migrations build exactly the schema the table definitions describe (the service's own tables, the
kit's messaging tables and the copies it keeps), the same whether a database is migrated one revision at a
time or straight to head; they can be rolled back, and the Alembic environment compares every table."""

from __future__ import annotations

from contact.adapters.tables import metadata
from contact.main import MIGRATIONS
from servicekit.copy_tables import customer_copy_metadata
from servicekit.messaging_tables import messaging_metadata
from servicekit.testing.migrations import migration_tests

(
    test_the_migrated_schema_matches_the_table_definitions,
    test_a_database_migrated_one_revision_at_a_time_equals_one_migrated_straight_to_head,
    test_every_migration_can_be_rolled_back_and_reapplied,
) = migration_tests(
    MIGRATIONS, metadata, messaging_metadata, customer_copy_metadata, database="contact_database"
)
