"""xlsx exports under the same rule as `servicekit.csv_export`: every cell is the text `csv_export.cell`
makes of it, so a cell that begins with `=`, `+`, `-` or `@` is shown, never evaluated, and numbers such as
`00042` keep their zeros.

The workbook is written row by row in openpyxl's write-only mode to a temporary file (an xlsx is a zip
whose directory comes last, so it cannot be sent before it is complete), then streamed from that file and
deleted: memory stays flat however many rows there are.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import AsyncIterable, Iterable, Iterator

from fastapi.responses import StreamingResponse

from servicekit.csv_export import Row, cell

XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_READ_BYTES = 256 * 1024


async def write_xlsx(path: str, header: Row, batches: AsyncIterable[Iterable[Row]]) -> None:
    """The header and the rows, every cell neutralised text, as an xlsx workbook at `path`."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet()
    sheet.append([cell(value) for value in header])
    async for batch in batches:
        for row in batch:
            sheet.append([cell(value) for value in row])
    workbook.save(path)


async def xlsx_download(
    filename: str, header: Row, batches: AsyncIterable[Iterable[Row]], folder: str | None = None
) -> StreamingResponse:
    """A streamed xlsx answer that browsers save as `filename`."""
    handle, path = tempfile.mkstemp(suffix=".xlsx", dir=folder)
    os.close(handle)
    try:
        await write_xlsx(path, header, batches)
    except BaseException:
        os.unlink(path)
        raise

    def content() -> Iterator[bytes]:  # a plain iterator: Starlette reads it in a worker thread
        try:
            with open(path, "rb") as file:
                while chunk := file.read(_READ_BYTES):
                    yield chunk
        finally:
            os.unlink(path)

    return StreamingResponse(
        content(),
        media_type=XLSX_MEDIA_TYPE,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
