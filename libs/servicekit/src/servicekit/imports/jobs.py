"""Import jobs in the database: the uploaded file (in chunks), the job's progress, the rows refused.

Rule: the upload is written to `import_job_chunks` in pieces of `CHUNK_BYTES` as it arrives, so neither
the request nor the worker ever holds the whole file; any process of the service can run the job. The
progress (`last_row`, the counters) is written in the same transaction as the batch it counts, so after a
restart the job goes on after the last committed batch and every row is applied exactly once.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal, Protocol

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from servicekit.auth import OfficeUser
from servicekit.imports.tables import import_job_chunks, import_job_failures, import_jobs
from servicekit.storable import unstorable_reason

CHUNK_BYTES = 1024 * 1024
JobStatus = Literal["queued", "running", "done", "failed"]
Outcome = Literal["created", "updated", "unchanged", "failed"]


@dataclass(frozen=True)
class ImportJob:
    id: uuid.UUID
    office_id: str
    kind: str
    dry_run: bool
    filename: str
    file_format: str
    size_bytes: int
    status: JobStatus
    created_by: str
    created_by_name: str | None
    roles: list[str]
    correlation_id: str
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    rows_total: int | None
    last_row: int
    rows_done: int
    created: int
    updated: int
    unchanged: int
    failed: int
    error: str | None

    @property
    def user(self) -> OfficeUser:
        """The office user who uploaded the file: every row is applied with their rights."""
        return OfficeUser(
            subject=self.created_by,
            name=self.created_by_name,
            office_id=self.office_id,
            roles=frozenset(self.roles),
        )


@dataclass(frozen=True)
class RowFailure:
    column: str | None
    reason: str


@dataclass
class RowResult:
    """What became of one row: its outcome, and for a refused row every reason found."""

    number: int
    outcome: Outcome
    failures: list[RowFailure] = field(default_factory=list)


class SupportsRead(Protocol):
    async def read(self, size: int = -1) -> bytes: ...


class FileTooLarge(Exception):
    pass


async def store_upload(
    session: AsyncConnection,
    upload: SupportsRead,
    *,
    user: OfficeUser,
    kind: str,
    dry_run: bool,
    filename: str,
    max_bytes: int,
    correlation_id: str,
) -> ImportJob:
    """Write the uploaded file chunk by chunk and queue its job (the caller commits). Raises
    `FileTooLarge` past `max_bytes` (the caller's transaction then rolls the chunks back)."""
    job_id, size, seq, head = uuid.uuid4(), 0, 0, b""
    await session.execute(
        insert(import_jobs).values(
            id=job_id,
            office_id=user.office_id,
            kind=kind,
            dry_run=dry_run,
            filename=filename[:300] if unstorable_reason(filename) is None else "upload",
            file_format="csv",
            size_bytes=0,
            status="queued",
            created_by=user.subject,
            created_by_name=user.name,
            roles=sorted(user.roles),
            correlation_id=correlation_id,
            created_at=datetime.now(UTC),
        )
    )
    while chunk := await upload.read(CHUNK_BYTES):
        size += len(chunk)
        if size > max_bytes:
            raise FileTooLarge(f"the file is larger than {max_bytes} bytes")
        if seq == 0:
            head = chunk[:4]
        await session.execute(insert(import_job_chunks).values(job_id=job_id, seq=seq, data=chunk))
        seq += 1
    file_format = "xlsx" if head == b"PK\x03\x04" else "csv"
    await session.execute(
        update(import_jobs).where(import_jobs.c.id == job_id).values(size_bytes=size, file_format=file_format)
    )
    job = await get(session, job_id, user.office_id)
    assert job is not None
    return job


def _job(row: Any) -> ImportJob:
    return ImportJob(**dict(row._mapping))


async def get(session: AsyncConnection, job_id: uuid.UUID, office_id: str | None) -> ImportJob | None:
    """The job, if it is the office's (any office's when `office_id` is None: the worker)."""
    query = select(import_jobs).where(import_jobs.c.id == job_id)
    if office_id is not None:
        query = query.where(import_jobs.c.office_id == office_id)
    row = (await session.execute(query)).first()
    return _job(row) if row else None


async def list_for_office(
    session: AsyncConnection, office_id: str, before: tuple[datetime, uuid.UUID] | None, limit: int
) -> list[ImportJob]:
    """The office's jobs, newest first; `before` is the last (created_at, id) of the previous page."""
    query = select(import_jobs).where(import_jobs.c.office_id == office_id)
    if before is not None:
        query = query.where(
            func.row(import_jobs.c.created_at, import_jobs.c.id) < func.row(before[0], before[1])
        )
    query = query.order_by(import_jobs.c.created_at.desc(), import_jobs.c.id.desc()).limit(limit)
    return [_job(row) for row in (await session.execute(query)).all()]


async def unfinished(session: AsyncConnection) -> list[uuid.UUID]:
    """Queued and running jobs, oldest first: a running one may have lost its process."""
    query = (
        select(import_jobs.c.id)
        .where(import_jobs.c.status.in_(("queued", "running")))
        .order_by(import_jobs.c.created_at)
    )
    return list((await session.execute(query)).scalars())


async def write_file(session: AsyncConnection, job_id: uuid.UUID, path: Path) -> None:
    """The job's file, chunk by chunk, to `path` (one chunk in memory at a time)."""
    with path.open("wb") as file:
        seq = 0
        while True:
            query = select(import_job_chunks.c.data).where(
                import_job_chunks.c.job_id == job_id, import_job_chunks.c.seq == seq
            )
            data = (await session.execute(query)).scalar()
            if data is None:
                return
            file.write(data)
            seq += 1


async def start(session: AsyncConnection, job_id: uuid.UUID, rows_total: int) -> None:
    await session.execute(
        update(import_jobs)
        .where(import_jobs.c.id == job_id)
        .values(status="running", rows_total=rows_total, started_at=datetime.now(UTC))
    )


async def record_batch(session: AsyncConnection, job: ImportJob, results: Sequence[RowResult]) -> None:
    """Add a batch's outcomes and failures to the job; in the batch's own transaction."""
    if not results:
        return
    counts = {outcome: sum(1 for r in results if r.outcome == outcome) for outcome in _OUTCOMES}
    failures = [
        {"job_id": job.id, "row_number": r.number, "column": f.column, "reason": f.reason}
        for r in results
        for f in r.failures
    ]
    if failures:
        await session.execute(insert(import_job_failures), failures)
    c = import_jobs.c
    await session.execute(
        update(import_jobs)
        .where(c.id == job.id)
        .values(
            last_row=max(r.number for r in results),
            rows_done=c.rows_done + len(results),
            created=c.created + counts["created"],
            updated=c.updated + counts["updated"],
            unchanged=c.unchanged + counts["unchanged"],
            failed=c.failed + counts["failed"],
        )
    )


_OUTCOMES: tuple[Outcome, ...] = ("created", "updated", "unchanged", "failed")


async def finish(
    session: AsyncConnection,
    job_id: uuid.UUID,
    *,
    error: str | None = None,
    failures: Sequence[tuple[int, str | None, str]] = (),
) -> None:
    """Mark the job done, or failed with `error` (and the file-level failures, e.g. of the header)."""
    if failures:
        await session.execute(
            insert(import_job_failures),
            [{"job_id": job_id, "row_number": n, "column": col, "reason": why} for n, col, why in failures],
        )
    await session.execute(
        update(import_jobs)
        .where(import_jobs.c.id == job_id)
        .values(
            status="failed" if error else "done",
            error=error,
            finished_at=datetime.now(UTC),
        )
    )
    # The file is needed no more; the report stays.
    await session.execute(import_job_chunks.delete().where(import_job_chunks.c.job_id == job_id))


REPORT_HEADER = ("row", "column", "reason")


async def report_rows(
    session: AsyncConnection, job_id: uuid.UUID, batch: int = 1000
) -> AsyncIterator[list[tuple[int, str | None, str]]]:
    """The job's refused rows in row order, in batches (for `servicekit.csv_export.stream_csv`)."""
    after = 0
    while True:
        f = import_job_failures.c
        query = (
            select(f.id, f.row_number, f.column, f.reason)
            .where(f.job_id == job_id, f.id > after)
            .order_by(f.id)
            .limit(batch)
        )
        rows = (await session.execute(query)).all()
        if not rows:
            return
        after = rows[-1].id
        yield [(r.row_number, r.column, r.reason) for r in rows]
