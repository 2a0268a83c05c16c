"""/v1/imports: upload a spreadsheet of customers or contacts as an asynchronous job, follow its progress,
download its report of refused rows (servicekit.imports)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, File, Form, Query, Request, UploadFile, status
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, Field

from customer.config import Settings
from servicekit.auth import Permission
from servicekit.context import current_correlation_id
from servicekit.csv_export import csv_download, csv_openapi_answer
from servicekit.deps import Creator, RuntimeDep, SessionDep
from servicekit.imports import jobs
from servicekit.imports.jobs import ImportJob
from servicekit.imports.worker import ImportWorker
from servicekit.openapi import problem, responses
from servicekit.pagination import CursorQuery, Page, decode_cursor, encode_cursor
from servicekit.problems import NotFound, Problem

router = APIRouter(prefix="/v1/imports", tags=["imports"])
_LIMITS = Settings()
ImportKind = Literal["customers", "contacts"]
_UPLOAD = (
    "Queue an import of the file: 202 with the job, whose progress `GET /v1/imports/{id}` shows. Rows "
    "upsert by customer number or external id; contacts name their customer by customer number or "
    f"external id. At most {_LIMITS.import_max_bytes} bytes (413 above) and {_LIMITS.import_max_rows} rows "
    "per file (a longer file's job fails before any row is applied). A dry run checks every row against "
    "the same rules and writes nothing. Needs the create and the edit permission (manager, office admin)."
)


class ImportJobOut(BaseModel):
    id: uuid.UUID
    kind: ImportKind
    dry_run: bool
    filename: str
    file_format: Literal["csv", "xlsx"]
    size_bytes: int
    status: Literal["queued", "running", "done", "failed"]
    rows_total: int | None = Field(description="Rows in the file, once it has been read; null before.")
    rows_done: int
    created: int
    updated: int
    unchanged: int
    failed: int = Field(description="Rows refused; each reason is in the report.")
    error: str | None = Field(description="Why the whole file was refused (its columns, its size), if so.")
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    report_url: str

    @classmethod
    def of(cls, job: ImportJob) -> ImportJobOut:
        values = {name: getattr(job, name) for name in cls.model_fields if name != "report_url"}
        return cls.model_validate({**values, "report_url": f"{router.prefix}/{job.id}/report"})


def _wake_worker(request: Request) -> None:
    for worker in request.app.state.runtime.workers:
        if isinstance(worker, ImportWorker):
            worker.wake()


@router.post(
    "",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=ImportJobOut,
    description=_UPLOAD,
    responses={
        **responses(403, 422, success=(202,), etag=False),
        413: problem(413, f"The file is larger than {_LIMITS.import_max_bytes} bytes."),
    },
)
async def upload_import(
    request: Request,
    user: Creator,
    runtime: RuntimeDep,
    file: Annotated[
        UploadFile, File(description="CSV (, ; tab or | separated; UTF-8 or Windows-1252) or xlsx")
    ],
    kind: Annotated[ImportKind, Form()] = "customers",
    dry_run: Annotated[
        Literal["true", "false"], Form(description="true: check every row against the rules, write nothing.")
    ] = "false",
) -> JSONResponse:
    user.require(Permission.EDIT)
    settings = runtime.settings
    max_bytes = getattr(settings, "import_max_bytes", _LIMITS.import_max_bytes)
    async with runtime.session_factory() as session:
        try:
            job = await jobs.store_upload(
                session,
                file,
                user=user,
                kind=kind,
                dry_run=dry_run == "true",
                filename=file.filename or "upload",
                max_bytes=max_bytes,
                correlation_id=current_correlation_id(),
            )
        except jobs.FileTooLarge as exc:
            raise Problem(
                f"The file is too large: {exc}.",
                status=413,
                title="Content too large",
                errors=[{"field": "file", "message": str(exc)}],
            ) from None
        await session.commit()
    _wake_worker(request)
    return JSONResponse(
        ImportJobOut.of(job).model_dump(mode="json"),
        status_code=status.HTTP_202_ACCEPTED,
        headers={"Location": f"{router.prefix}/{job.id}"},
    )


@router.get("", response_model=Page[ImportJobOut], responses=responses(403, 422, etag=False))
async def list_imports(
    user: Creator,
    session: SessionDep,
    cursor: CursorQuery = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> Page[ImportJobOut]:
    """Your office's import jobs, newest first."""
    before = decode_cursor(cursor, (datetime, uuid.UUID)) if cursor else None
    found = await jobs.list_for_office(session, user.office_id, before, limit + 1)
    page = found[:limit]
    more = len(found) > limit
    next_cursor = encode_cursor([page[-1].created_at.isoformat(), str(page[-1].id)]) if more else None
    return Page[ImportJobOut](items=[ImportJobOut.of(j) for j in page], next_cursor=next_cursor)


@router.get("/{job_id}", response_model=ImportJobOut, responses=responses(403, 404, 422, etag=False))
async def get_import(job_id: uuid.UUID, user: Creator, session: SessionDep) -> ImportJobOut:
    """The job's progress: rows done of the total, created, updated, unchanged, failed."""
    return ImportJobOut.of(await _job(session, job_id, user.office_id))


@router.get(
    "/{job_id}/report",
    response_class=StreamingResponse,
    responses={
        **responses(403, 404, 422, etag=False, success=()),
        200: csv_openapi_answer("Every refused row: its row number, the column and the reason (CSV)."),
    },
)
async def import_report(job_id: uuid.UUID, user: Creator, runtime: RuntimeDep) -> StreamingResponse:
    """The refused rows so far, in file order: `row` (as the spreadsheet numbers it, the header is 1),
    `column` and `reason`."""
    async with runtime.session_factory() as session:
        job = await _job(session, job_id, user.office_id)

    async def batches() -> AsyncIterator[list[tuple[int, str | None, str]]]:
        async with runtime.session_factory() as session:
            async for batch in jobs.report_rows(session, job.id):
                yield batch

    return csv_download(f"import-{job.id}-report.csv", jobs.REPORT_HEADER, batches())


async def _job(session: SessionDep, job_id: uuid.UUID, office_id: str) -> ImportJob:
    job = await jobs.get(session, job_id, office_id)
    if job is None:
        raise NotFound(f"No import job {job_id} in your office.")
    return job
