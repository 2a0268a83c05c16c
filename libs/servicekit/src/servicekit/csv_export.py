"""CSV exports that open cleanly in a spreadsheet and never run a formula someone typed into a record.

Rule: an export is UTF-8 with a byte-order mark (without it Excel reads UTF-8 as the local code page and
`Østbø` arrives garbled), lines end in CRLF (RFC 4180), a field is quoted when it holds a comma, a quote or
a line break (quotes doubled inside), and a text cell that begins with `=`, `+`, `-` or `@` (or a tab or a
carriage return, which spreadsheets skip before reading a formula) gets a single quote in front, so the
spreadsheet shows the text instead of evaluating it (OWASP's "CSV injection"). The quote is visible in the
cell, which is the price of an export that is safe to open.

Reason: exports are opened by people who trust them, in programs that execute `=HYPERLINK(...)` or
`=cmd|...` on opening; what users wrote into a note or a name must come out as text. Every service that
exports (activity notes, the customer list) writes its rows through `stream_csv`, so the rule is kept in
one place.

`stream_csv` takes the rows in batches from an async iterator and yields the encoded text batch by batch,
for a `StreamingResponse`: an export never holds the whole set in memory.
"""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterable, AsyncIterator, Iterable, Sequence
from datetime import date, datetime
from typing import Any

from fastapi.responses import StreamingResponse

BOM = "\ufeff"
MEDIA_TYPE = "text/csv; charset=utf-8"
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
"""First characters that make a spreadsheet read a cell as a formula."""

Row = Sequence[object]


def neutralise(text: str) -> str:
    """The text as a spreadsheet will show it, never evaluate it."""
    return "'" + text if text.startswith(FORMULA_TRIGGERS) else text


def cell(value: object) -> str:
    """One value as CSV text: empty for None, ISO 8601 for times, `true`/`false` for booleans, and any
    other text neutralised."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime | date):
        return value.isoformat()
    return neutralise(str(value))


def csv_text(rows: Iterable[Row]) -> str:
    """The rows as CSV lines (CRLF, minimal quoting), every cell through `cell`."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerows([cell(value) for value in row] for row in rows)
    return buffer.getvalue()


async def stream_csv(header: Row, batches: AsyncIterable[Iterable[Row]]) -> AsyncIterator[bytes]:
    """The byte-order mark and the header line, then each batch of rows as it arrives, UTF-8 encoded."""
    yield (BOM + csv_text([header])).encode()
    async for batch in batches:
        text = csv_text(batch)
        if text:
            yield text.encode()


def csv_download(filename: str, header: Row, batches: AsyncIterable[Iterable[Row]]) -> StreamingResponse:
    """A streamed CSV answer that browsers save as `filename`."""
    return StreamingResponse(
        stream_csv(header, batches),
        media_type=MEDIA_TYPE,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def csv_openapi_answer(description: str) -> dict[str, Any]:
    """The OpenAPI entry of a CSV answer (for `responses=`): text/csv, with its download header."""
    return {
        "description": description,
        "content": {"text/csv": {"schema": {"type": "string"}}},
        "headers": {
            "Content-Disposition": {
                "description": "attachment, with the file name to save it as",
                "schema": {"type": "string"},
            }
        },
    }
