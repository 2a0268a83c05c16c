"""/v1/customers/export: the office's customers (filtered like the list) in the import's own columns, as
CSV (the default) or xlsx, so an exported file re-imports unchanged."""

from __future__ import annotations

import tempfile
import uuid
from collections.abc import AsyncIterator
from typing import Annotated, Literal

from fastapi import APIRouter, Header, Query
from fastapi.responses import StreamingResponse

from customer.adapters import import_lookup, repository
from customer.imports import columns
from servicekit.csv_export import csv_download, csv_openapi_answer
from servicekit.deps import RuntimeDep, Viewer
from servicekit.openapi import responses
from servicekit.xlsx_export import XLSX_MEDIA_TYPE, xlsx_download

router = APIRouter(prefix="/v1/customers", tags=["customers"])
_BATCH = 500


@router.get(
    "/export",
    response_class=StreamingResponse,
    responses={
        **responses(403, 422, etag=False, success=()),
        200: {
            **csv_openapi_answer("The customers in the import's columns: CSV, or xlsx when asked for."),
            "content": {
                "text/csv": {"schema": {"type": "string"}},
                XLSX_MEDIA_TYPE: {"schema": {"type": "string", "format": "binary"}},
            },
        },
    },
)
async def export_customers(
    user: Viewer,
    runtime: RuntimeDep,
    active: Annotated[bool | None, Query(description="Only active (true) or inactive (false)")] = None,
    q: Annotated[str | None, Query(max_length=200, description="Prefix of the name or number")] = None,
    format: Annotated[Literal["csv", "xlsx"] | None, Query(description="csv (default) or xlsx")] = None,
    accept: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> StreamingResponse:
    """Every customer of the list with these filters, by name, streamed. Cells that begin with `=`, `+`,
    `-` or `@` get a quote in front, so a spreadsheet never runs them; the import takes the quote off."""
    filters = repository.ListFilter(active=active, text_prefix=q.strip() if q else None)
    async with runtime.session_factory() as session:
        names = await import_lookup.category_names(session, user.office_id)
        header = columns.export_header(
            await import_lookup.custom_field_keys(session, user.office_id),
            await import_lookup.external_id_systems(session, user.office_id),
            await import_lookup.most_addresses(session, user.office_id),
            with_identity_number=user.is_admin,
        )

    async def batches() -> AsyncIterator[list[list[object]]]:
        after: tuple[str, uuid.UUID] | None = None
        while True:
            async with runtime.session_factory() as session:
                page = await repository.list_page(session, user.office_id, filters, after, _BATCH)
            if not page:
                return
            yield [columns.export_row(customer, header, names) for customer in page]
            after = (page[-1].name.lower(), page[-1].id)

    wants_xlsx = format == "xlsx" or (format is None and XLSX_MEDIA_TYPE in (accept or ""))
    if wants_xlsx:
        return await xlsx_download("customers.xlsx", header, batches(), tempfile.gettempdir())
    return csv_download("customers.csv", header, batches())
