"""Customer numbers from PostgreSQL sequences, so creates in one office no longer wait for each other.

The counters were rows updated inside each create's transaction: their row lock, held to commit, made
every create of an office wait for the one before. A sequence hands out values without a lock and
without waiting for commits (a failed create leaves a gap, as in other registers). Each scope
("office:<id>", "global") gets its own sequence, named by the md5 of the scope; `number_sequences` now
only records which sequence serves which scope.

Also: `customer_number_free()` checks a number in one round trip while holding the number's lock, and an
index on the number serves that check for global customers, which look across every office.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

NUMBER_FREE = """
CREATE FUNCTION customer_number_free(p_office text, p_number text, p_everywhere boolean, p_other_than uuid)
RETURNS boolean LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    -- Hold the number to commit: creates and renumbers of it in any office take turns, and the check
    -- below, a statement of its own, sees the outcome of the one that went before.
    PERFORM pg_advisory_xact_lock(hashtextextended('customer-number:' || p_number, 0));
    RETURN NOT EXISTS (
        SELECT 1 FROM customers c
        WHERE c.customer_number = p_number
          AND (p_everywhere OR c.office_id = p_office OR c.is_global)
          AND (p_other_than IS NULL OR c.id <> p_other_than)
    );
END
$$
"""


def upgrade() -> None:
    op.add_column("number_sequences", sa.Column("sequence_name", sa.Text()))
    op.execute(
        """
        DO $$
        DECLARE counter record;
        BEGIN
            FOR counter IN SELECT scope, last_value FROM number_sequences LOOP
                EXECUTE format('CREATE SEQUENCE %I START WITH %s',
                               'customer_number_' || md5(counter.scope), counter.last_value + 1);
            END LOOP;
        END
        $$
        """
    )
    op.execute("UPDATE number_sequences SET sequence_name = 'customer_number_' || md5(scope)")
    op.alter_column("number_sequences", "sequence_name", nullable=False)
    op.drop_column("number_sequences", "last_value")
    op.drop_column("number_sequences", "updated_at")
    op.create_index("ix_customers_number", "customers", ["customer_number"])
    op.execute(NUMBER_FREE)


def downgrade() -> None:
    op.execute("DROP FUNCTION customer_number_free(text, text, boolean, uuid)")
    op.drop_index("ix_customers_number", "customers")
    op.add_column(
        "number_sequences",
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    )
    op.add_column(
        "number_sequences", sa.Column("last_value", sa.BigInteger(), server_default="0", nullable=False)
    )
    op.execute(
        """
        DO $$
        DECLARE counter record;
        BEGIN
            FOR counter IN SELECT scope, sequence_name FROM number_sequences LOOP
                EXECUTE format(
                    'UPDATE number_sequences SET last_value = (SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM %I) WHERE scope = %L',
                    counter.sequence_name, counter.scope);
                EXECUTE format('DROP SEQUENCE %I', counter.sequence_name);
            END LOOP;
        END
        $$
        """
    )
    op.drop_column("number_sequences", "sequence_name")
