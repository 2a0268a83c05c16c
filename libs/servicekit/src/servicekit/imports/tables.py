"""The import job tables as SQLAlchemy Core sees them; created by ``servicekit.imports.migrations``."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    Table,
    Text,
    Uuid,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB

from servicekit.db import new_metadata

import_metadata = new_metadata()
"""The import tables, for a service's migration test and Alembic environment."""

import_jobs = Table(
    "import_jobs",
    import_metadata,
    Column("id", Uuid, primary_key=True),
    Column("office_id", Text, nullable=False),
    Column("kind", Text, nullable=False),
    Column("dry_run", Boolean, nullable=False),
    Column("filename", Text, nullable=False),
    Column("file_format", Text, nullable=False),
    Column("size_bytes", BigInteger, nullable=False),
    Column("status", Text, nullable=False),
    Column("created_by", Text, nullable=False),
    Column("created_by_name", Text),
    Column("roles", JSONB, nullable=False),
    Column("correlation_id", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("started_at", DateTime(timezone=True)),
    Column("finished_at", DateTime(timezone=True)),
    Column("rows_total", Integer),
    Column("last_row", Integer, nullable=False, server_default="0"),
    Column("rows_done", Integer, nullable=False, server_default="0"),
    Column("created", Integer, nullable=False, server_default="0"),
    Column("updated", Integer, nullable=False, server_default="0"),
    Column("unchanged", Integer, nullable=False, server_default="0"),
    Column("failed", Integer, nullable=False, server_default="0"),
    Column("error", Text),
    Index("ix_import_jobs_office_id", "office_id", "created_at"),
    Index(
        "ix_import_jobs_unfinished", "created_at", postgresql_where=text("status IN ('queued', 'running')")
    ),
)

import_job_chunks = Table(
    "import_job_chunks",
    import_metadata,
    Column("job_id", Uuid, ForeignKey("import_jobs.id", ondelete="CASCADE"), primary_key=True),
    Column("seq", Integer, primary_key=True),
    Column("data", LargeBinary, nullable=False),
)

import_job_failures = Table(
    "import_job_failures",
    import_metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("job_id", Uuid, ForeignKey("import_jobs.id", ondelete="CASCADE"), nullable=False),
    Column("row_number", Integer, nullable=False),
    Column("column", Text),
    Column("reason", Text, nullable=False),
    Index("ix_import_job_failures_job_id", "job_id", "row_number"),
)
