"""The import worker: runs a service's queued import jobs in its own process, a batch per transaction.

Rule: a job is run by one process at a time, the one holding its session advisory lock on a connection of
its own. When that process dies, PostgreSQL drops the connection and the lock with it, and the next poll of
any process (or its own after a restart) takes the job up again after its last committed batch: each
batch's rows and the job's progress commit together. A dry run applies each batch and rolls it back, then
commits only the progress and the failures, so it checks every row against the same rules and writes
nothing. The file is copied from its chunks to a temporary file and read from there as a stream.

The service says what a row means with a `RowApplier` per kind: its columns, and `apply(uow, job, rows)`,
which applies each row under the service's own rules (a refused row must not undo the rest of its batch:
a savepoint per row or checks before writing) and returns one `RowResult` per row.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import tempfile
import uuid
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Protocol

import asyncpg
from sqlalchemy.ext.asyncio import AsyncEngine

from servicekit.db import SessionFactory
from servicekit.imports import jobs
from servicekit.imports.jobs import ImportJob, RowFailure, RowResult
from servicekit.imports.reading import SourceRow, UnreadableFile, count_rows, read_header, read_rows
from servicekit.storable import unstorable_reason
from servicekit.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)


class RowApplier(Protocol):
    def header_problems(self, columns: Sequence[str]) -> list[tuple[str | None, str]]:
        """What is wrong with the file's columns, as (column, reason); empty when it can be imported."""
        ...

    async def apply(self, uow: UnitOfWork, job: ImportJob, rows: Sequence[SourceRow]) -> list[RowResult]:
        """Apply the rows in the open unit of work; one result per row."""
        ...


class ImportWorker:
    def __init__(
        self,
        *,
        service_name: str,
        engine: AsyncEngine,
        session_factory: SessionFactory,
        appliers: Mapping[str, RowApplier],
        batch_size: int = 500,
        max_rows: int = 200_000,
        poll_interval_s: float = 2.0,
    ) -> None:
        self.service_name = service_name
        self.engine = engine
        self.session_factory = session_factory
        self.appliers = appliers
        self.batch_size = batch_size
        self.max_rows = max_rows
        self.poll_interval_s = poll_interval_s
        self._wake = asyncio.Event()

    def wake(self) -> None:
        """A job was queued: look now rather than at the next poll."""
        self._wake.set()

    async def run(self) -> None:
        while True:
            try:
                await self.run_pending()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("import worker: a pass failed; trying again at the next poll")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.poll_interval_s)
            self._wake.clear()

    async def run_pending(self) -> None:
        """Run every unfinished job that no other process is running."""
        async with self.session_factory() as session:
            pending = await jobs.unfinished(session)
        if not pending:
            return
        locks = await self._lock_connection()
        try:
            for job_id in pending:
                if await locks.fetchval("SELECT pg_try_advisory_lock(hashtextextended($1, 0))", _key(job_id)):
                    try:
                        await self._run(job_id)
                    except asyncio.CancelledError:
                        raise
                    except Exception:
                        # Its batch rolled back (e.g. the contact service was down): the job stays
                        # unfinished and is tried again at the next poll, after the other jobs.
                        log.exception("import job %s: a batch failed; it will be tried again", job_id)
                    finally:
                        await locks.execute(
                            "SELECT pg_advisory_unlock(hashtextextended($1, 0))", _key(job_id)
                        )
        finally:
            await locks.close()

    async def _lock_connection(self) -> asyncpg.Connection:
        # Outside the pool: a lock must never go back to the pool with a connection, and a dead process's
        # connection (and so its locks) must end with it.
        arguments, options = self.engine.dialect.create_connect_args(self.engine.url)
        return await asyncpg.connect(*arguments, **options)

    async def _run(self, job_id: uuid.UUID) -> None:
        async with self.session_factory() as session:
            job = await jobs.get(session, job_id, None)
        if job is None or job.status not in ("queued", "running"):
            return  # finished meanwhile by another process
        applier = self.appliers.get(job.kind)
        with tempfile.TemporaryDirectory(prefix="import-") as folder:
            path = Path(folder) / f"upload.{job.file_format}"
            async with self.session_factory() as session:
                await jobs.write_file(session, job.id, path)
            if job.rows_total is None:
                checked = await asyncio.to_thread(self._check_file, applier, path)
                if isinstance(checked, list):
                    await self._finish(job.id, error="the file cannot be imported", failures=checked)
                    return
                async with self.session_factory() as session:
                    await jobs.start(session, job.id, checked)
                    await session.commit()
            assert applier is not None
            for batch in _batches(read_rows(path), job.last_row, self.batch_size):
                await self._apply_batch(applier, job, batch)
        await self._finish(job.id)

    def _check_file(self, applier: RowApplier | None, path: Path) -> int | list[tuple[int, str | None, str]]:
        """The file's row count, or why it cannot be imported at all (as report lines)."""
        if applier is None:
            return [(1, None, "unknown kind of import")]
        try:
            problems = applier.header_problems(read_header(path))
            if problems:
                return [(1, column, reason) for column, reason in problems]
            total = count_rows(path)
        except UnreadableFile as exc:
            return [(1, None, f"the file cannot be read: {exc}")]
        if total > self.max_rows:
            return [(1, None, f"the file has {total} rows; at most {self.max_rows} are imported at once")]
        return total

    async def _apply_batch(self, applier: RowApplier, job: ImportJob, batch: list[SourceRow]) -> None:
        uow = UnitOfWork(
            self.session_factory,
            service_name=self.service_name,
            actor=job.user.actor,
            correlation_id=job.correlation_id,
        )
        # Text the database cannot store is refused here, for every kind of import alike.
        results: list[RowResult] = []
        storable: list[SourceRow] = []
        for row in batch:
            refusal = _unstorable(row)
            if refusal is None:
                storable.append(row)
            else:
                results.append(RowResult(row.number, "failed", [RowFailure(*refusal)]))
        async with uow:
            with _collector_paused():
                results += await applier.apply(uow, job, storable) if storable else []
            if job.dry_run:
                await uow.rollback()
                async with self.session_factory() as session:
                    await jobs.record_batch(session, job, results)
                    await session.commit()
            else:
                await jobs.record_batch(uow.session, job, results)
                await uow.commit()

    async def _finish(
        self,
        job_id: uuid.UUID,
        *,
        error: str | None = None,
        failures: Sequence[tuple[int, str | None, str]] = (),
    ) -> None:
        async with self.session_factory() as session:
            await jobs.finish(session, job_id, error=error, failures=failures)
            await session.commit()


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector paused while a batch is applied. Reason: a batch makes thousands
    of objects (rows, domain objects, history lines, events) and keeps them to its end, so the collector
    ran some fifty times a batch and walked them each time, a sixth of a 5,000-row import in our
    measurements; reference counting frees them all the same, and the collector runs once after the
    batch. Left as it was if something else paused it."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _unstorable(row: SourceRow) -> tuple[str, str] | None:
    """The first cell the database could not store (a NUL character), as (column, reason)."""
    for column, value in row.cells.items():
        if (reason := unstorable_reason(value)) is not None:
            return column, reason
    return None


def _key(job_id: uuid.UUID) -> str:
    return f"import-job:{job_id}"


def _batches(rows: Iterator[SourceRow], after_row: int, size: int) -> Iterator[list[SourceRow]]:
    """The rows after `after_row` (the last committed one) in batches of `size`."""
    batch: list[SourceRow] = []
    for row in rows:
        if row.number <= after_row:
            continue
        batch.append(row)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch
