"""A released migration step of the kit's tables is frozen: it emits exactly the DDL it was released with.

Databases migrated through a step keep what it built, so editing the step afterwards would make new
databases differ from old ones. The DDL below is what each step emitted when it was released; a change
belongs in a new step. Whitespace is not compared.
"""

from __future__ import annotations

import io
from collections.abc import Callable

import pytest
from alembic.migration import MigrationContext
from alembic.operations import Operations

from servicekit import copy_migrations, messaging_migrations

RELEASED_DDL = {
    "upgrade_v1": """
        CREATE TABLE outbox (
            id BIGSERIAL NOT NULL,
            event_id UUID NOT NULL,
            event_type TEXT NOT NULL,
            aggregate_id UUID NOT NULL,
            aggregate_version INTEGER NOT NULL,
            envelope JSONB NOT NULL,
            created_at TIMESTAMP WITH TIME ZONE DEFAULT now() NOT NULL,
            published_at TIMESTAMP WITH TIME ZONE,
            attempts INTEGER DEFAULT '0' NOT NULL,
            next_attempt_at TIMESTAMP WITH TIME ZONE DEFAULT now() NOT NULL,
            last_error TEXT,
            CONSTRAINT pk_outbox PRIMARY KEY (id),
            CONSTRAINT uq_outbox_event_id UNIQUE (event_id)
        );
        CREATE INDEX ix_outbox_unpublished ON outbox (id) WHERE published_at IS NULL;
        CREATE INDEX ix_outbox_unpublished_aggregate ON outbox (aggregate_id, id) WHERE published_at IS NULL;
        CREATE INDEX ix_outbox_published_at ON outbox (published_at) WHERE published_at IS NOT NULL;
        CREATE TABLE inbox (
            consumer TEXT NOT NULL,
            event_id UUID NOT NULL,
            event_type TEXT NOT NULL,
            processed_at TIMESTAMP WITH TIME ZONE DEFAULT now() NOT NULL,
            CONSTRAINT pk_inbox PRIMARY KEY (consumer, event_id)
        );
        CREATE TABLE idempotency_keys (
            office_id TEXT NOT NULL,
            key TEXT NOT NULL,
            request_fingerprint TEXT NOT NULL,
            status_code INTEGER NOT NULL,
            response JSONB NOT NULL,
            headers JSONB NOT NULL,
            created_at TIMESTAMP WITH TIME ZONE DEFAULT now() NOT NULL,
            CONSTRAINT pk_idempotency_keys PRIMARY KEY (office_id, key)
        );
    """,
    "downgrade_v1": """
        DROP TABLE idempotency_keys;
        DROP TABLE inbox;
        DROP TABLE outbox;
    """,
    "upgrade_v2": """
        CREATE INDEX ix_inbox_processed_at ON inbox (processed_at);
        CREATE INDEX ix_idempotency_keys_created_at ON idempotency_keys (created_at);
    """,
    "downgrade_v2": """
        DROP INDEX ix_idempotency_keys_created_at;
        DROP INDEX ix_inbox_processed_at;
    """,
    "upgrade_v3": """
        CREATE INDEX ix_outbox_refused ON outbox (aggregate_id, id) WHERE published_at IS NULL AND attempts > 0;
    """,
    "downgrade_v3": "DROP INDEX ix_outbox_refused;",
}


RELEASED_COPY_DDL = {
    "upgrade_customer_copies_v1": """
        CREATE TABLE customer_copies (
            id UUID NOT NULL,
            office_id TEXT NOT NULL,
            name TEXT NOT NULL,
            customer_number TEXT,
            country TEXT,
            active BOOLEAN NOT NULL,
            global BOOLEAN NOT NULL,
            deleted BOOLEAN NOT NULL,
            version INTEGER NOT NULL,
            CONSTRAINT pk_customer_copies PRIMARY KEY (id)
        );
        COMMENT ON COLUMN customer_copies.country IS
            'ISO 3166 alpha-2; the region of phone numbers written without one';
    """,
    "downgrade_customer_copies_v1": "DROP TABLE customer_copies;",
    "upgrade_contact_copies_v1": """
        CREATE TABLE contact_copies (
            id UUID NOT NULL,
            office_id TEXT NOT NULL,
            customer_id UUID NOT NULL,
            first_name TEXT NOT NULL,
            last_name TEXT NOT NULL,
            email TEXT,
            phone TEXT,
            main BOOLEAN NOT NULL,
            active BOOLEAN NOT NULL,
            deleted BOOLEAN NOT NULL,
            version INTEGER NOT NULL,
            CONSTRAINT pk_contact_copies PRIMARY KEY (id)
        );
        CREATE INDEX ix_contact_copies_customer_id ON contact_copies (customer_id);
    """,
    "downgrade_contact_copies_v1": "DROP TABLE contact_copies;",
}
RELEASED = {
    **{(messaging_migrations, name): ddl for name, ddl in RELEASED_DDL.items()},
    **{(copy_migrations, name): ddl for name, ddl in RELEASED_COPY_DDL.items()},
}


def emitted_ddl(step: Callable[[], None]) -> str:
    """The SQL a step sends to PostgreSQL, rendered offline (Alembic's --sql mode)."""
    output = io.StringIO()
    context = MigrationContext.configure(
        dialect_name="postgresql", opts={"as_sql": True, "output_buffer": output}
    )
    with Operations.context(context):
        step()
    return output.getvalue()


def without_layout(sql: str) -> list[str]:
    return [" ".join(statement.split()) for statement in sql.split(";") if statement.strip()]


@pytest.mark.parametrize(
    ("module", "step_name"), list(RELEASED), ids=lambda part: getattr(part, "__name__", part)
)
def test_a_released_step_still_emits_exactly_the_ddl_it_was_released_with(module, step_name):
    step = getattr(module, step_name)
    assert without_layout(emitted_ddl(step)) == without_layout(RELEASED[module, step_name]), (
        f"{module.__name__}.{step_name} changed after its release; add a new step instead"
    )


@pytest.mark.parametrize("module", [messaging_migrations, copy_migrations], ids=lambda m: m.__name__)
def test_every_step_of_the_module_is_recorded_here(module):
    steps = {name for name in vars(module) if name.startswith(("upgrade_", "downgrade_"))}
    # A new step is recorded here when it is released; from then on it is frozen too.
    assert steps == {name for recorded_module, name in RELEASED if recorded_module is module}
