"""/v1/contacts/export: the office's contacts (filtered like the list) in the customer service's contact
import columns (`contracts.contact_file`), as CSV (the default) or xlsx, so an export re-imports unchanged.
Each contact names its customer by customer number, as the customer copy knows it."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Annotated, Literal

from fastapi import APIRouter, Header, Query
from fastapi.responses import StreamingResponse
from sqlalchemy import select

from contact.adapters import repository
from contact.adapters.tables import external_ids
from contact.service.recording import to_state
from contracts import contact_file
from servicekit.copy_tables import customer_copies
from servicekit.csv_export import csv_download, csv_openapi_answer
from servicekit.deps import RuntimeDep, Viewer
from servicekit.openapi import responses
from servicekit.xlsx_export import XLSX_MEDIA_TYPE, xlsx_download

router = APIRouter(prefix="/v1/contacts", tags=["contacts"])
_BATCH = 500
_ANSWER = csv_openapi_answer("The contacts in the import's columns: CSV, or xlsx when asked for.")
_ANSWER["content"][XLSX_MEDIA_TYPE] = {"schema": {"type": "string", "format": "binary"}}


@router.get(
    "/export",
    response_class=StreamingResponse,
    responses={**responses(403, 422, etag=False, success=()), 200: _ANSWER},
)
async def export_contacts(
    user: Viewer,
    runtime: RuntimeDep,
    customer_id: Annotated[uuid.UUID | None, Query(description="Only this customer's contacts")] = None,
    include_inactive: Annotated[bool, Query(description="Inactive contacts too")] = False,
    format: Annotated[Literal["csv", "xlsx"] | None, Query(description="csv (default) or xlsx")] = None,
    accept: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> StreamingResponse:
    """Every contact of the list with these filters, by name, streamed; formula-like cells neutralised."""
    filters = repository.ListFilter(customer_id=customer_id, include_inactive=include_inactive)
    async with runtime.session_factory() as session:
        query = select(external_ids.c.system).where(external_ids.c.office_id == user.office_id).distinct()
        systems = sorted((await session.execute(query)).scalars())
    header = contact_file.export_header(systems)

    async def batches() -> AsyncIterator[list[list[object]]]:
        after: tuple[str, str, uuid.UUID] | None = None
        while True:
            async with runtime.session_factory() as session:
                page = await repository.list_page(session, user.office_id, filters, after, _BATCH)
                if not page:
                    return
                ids = {found.contact.customer_id for found in page}
                numbers_query = select(customer_copies.c.id, customer_copies.c.customer_number).where(
                    customer_copies.c.id.in_(ids)
                )
                numbers = {
                    row.id: row.customer_number for row in (await session.execute(numbers_query)).all()
                }
            yield [
                contact_file.export_row(
                    to_state(found.contact).model_dump(mode="json"),
                    numbers.get(found.contact.customer_id),
                    header,
                )
                for found in page
            ]
            last = repository.sort_position(page[-1].contact)
            after = (last[0], last[1], uuid.UUID(last[2]))

    if format == "xlsx" or (format is None and XLSX_MEDIA_TYPE in (accept or "")):
        return await xlsx_download("contacts.xlsx", header, batches())
    return csv_download("contacts.csv", header, batches())
