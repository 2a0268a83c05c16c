"""The import job tables' migration step is frozen like the kit's others (see test_messaging_migrations):
it emits exactly the DDL it was released with; a change is a new step. Whitespace is not compared."""

from __future__ import annotations

import io
from collections.abc import Callable

import pytest
from alembic.migration import MigrationContext
from alembic.operations import Operations

from servicekit.imports import migrations

RELEASED = {
    "upgrade_import_jobs_v1": """
        CREATE TABLE import_jobs (
            id UUID NOT NULL,
            office_id TEXT NOT NULL,
            kind TEXT NOT NULL,
            dry_run BOOLEAN NOT NULL,
            filename TEXT NOT NULL,
            file_format TEXT NOT NULL,
            size_bytes BIGINT NOT NULL,
            status TEXT NOT NULL,
            created_by TEXT NOT NULL,
            created_by_name TEXT,
            roles JSONB NOT NULL,
            correlation_id TEXT NOT NULL,
            created_at TIMESTAMP WITH TIME ZONE NOT NULL,
            started_at TIMESTAMP WITH TIME ZONE,
            finished_at TIMESTAMP WITH TIME ZONE,
            rows_total INTEGER,
            last_row INTEGER DEFAULT '0' NOT NULL,
            rows_done INTEGER DEFAULT '0' NOT NULL,
            created INTEGER DEFAULT '0' NOT NULL,
            updated INTEGER DEFAULT '0' NOT NULL,
            unchanged INTEGER DEFAULT '0' NOT NULL,
            failed INTEGER DEFAULT '0' NOT NULL,
            error TEXT,
            CONSTRAINT pk_import_jobs PRIMARY KEY (id)
        );
        CREATE INDEX ix_import_jobs_office_id ON import_jobs (office_id, created_at);
        CREATE INDEX ix_import_jobs_unfinished ON import_jobs (created_at) WHERE status IN ('queued', 'running');
        CREATE TABLE import_job_chunks (
            job_id UUID NOT NULL,
            seq INTEGER NOT NULL,
            data BYTEA NOT NULL,
            CONSTRAINT pk_import_job_chunks PRIMARY KEY (job_id, seq),
            CONSTRAINT fk_import_job_chunks_job_id_import_jobs FOREIGN KEY(job_id) REFERENCES import_jobs (id) ON DELETE CASCADE
        );
        CREATE TABLE import_job_failures (
            id BIGSERIAL NOT NULL,
            job_id UUID NOT NULL,
            row_number INTEGER NOT NULL,
            "column" TEXT,
            reason TEXT NOT NULL,
            CONSTRAINT pk_import_job_failures PRIMARY KEY (id),
            CONSTRAINT fk_import_job_failures_job_id_import_jobs FOREIGN KEY(job_id) REFERENCES import_jobs (id) ON DELETE CASCADE
        );
        CREATE INDEX ix_import_job_failures_job_id ON import_job_failures (job_id, row_number);
    """,
    "downgrade_import_jobs_v1": """
        DROP TABLE import_job_failures;
        DROP TABLE import_job_chunks;
        DROP TABLE import_jobs;
    """,
}


def emitted_ddl(step: Callable[[], None]) -> str:
    output = io.StringIO()
    context = MigrationContext.configure(
        dialect_name="postgresql", opts={"as_sql": True, "output_buffer": output}
    )
    with Operations.context(context):
        step()
    return output.getvalue()


def without_layout(sql: str) -> list[str]:
    return [" ".join(statement.split()) for statement in sql.split(";") if statement.strip()]


@pytest.mark.parametrize("step_name", list(RELEASED))
def test_the_released_import_step_still_emits_the_ddl_it_was_released_with(step_name):
    emitted = without_layout(emitted_ddl(getattr(migrations, step_name)))
    assert emitted == without_layout(RELEASED[step_name])


def test_every_import_step_is_recorded_here():
    steps = {name for name in vars(migrations) if name.startswith(("upgrade_", "downgrade_"))}
    assert steps == set(RELEASED)
