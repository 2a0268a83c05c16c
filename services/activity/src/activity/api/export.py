"""/v1/activities/export: the office's notes as CSV, for reporting (SPEC §5).

One line per note, oldest first, with its customer's number and name and its contacts' names, so the file
reads on its own in a spreadsheet. Streamed: the notes are read and written a batch at a time, never held
all at once. The file opens cleanly in a spreadsheet and runs no formula a note holds
(`servicekit.csv_export`).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import StreamingResponse

from activity.adapters.repository import EXPORT_COLUMNS
from activity.api.filters import export_filters
from activity.domain.listing import ActivityQuery
from activity.service import queries
from servicekit.csv_export import csv_download, csv_openapi_answer
from servicekit.deps import LocalCopiesDep, RuntimeDep, SessionDep, Viewer
from servicekit.openapi import responses

router = APIRouter(prefix="/v1/activities", tags=["export"])

_CSV_ANSWER = csv_openapi_answer(
    "The notes as CSV (UTF-8 with BOM, CRLF), one line per note, oldest first; columns: "
    + ", ".join(EXPORT_COLUMNS)
    + "."
)


@router.get(
    "/export",
    response_class=StreamingResponse,
    responses={**responses(403, 404, 422, 503, etag=False), 200: _CSV_ANSWER},
)
async def export_notes(
    user: Viewer,
    session: SessionDep,
    copies: LocalCopiesDep,
    runtime: RuntimeDep,
    wanted: Annotated[ActivityQuery, Depends(export_filters)],
) -> StreamingResponse:
    """Your office's notes as a CSV file, narrowed by customer, author and `occurred_at` range."""
    await queries.check_filters(session, copies, user.office_id, wanted)
    filename = f"notes-{datetime.now(UTC):%Y%m%d}.csv"
    return csv_download(
        filename, EXPORT_COLUMNS, queries.exported_notes(runtime.session_factory, user.office_id, wanted)
    )
