"""CSV exports open cleanly in a spreadsheet: BOM, CRLF, quoting, and no formula from a user's text."""

import asyncio
import csv
import io
import uuid
from datetime import UTC, datetime

import pytest

from servicekit.csv_export import BOM, cell, csv_download, csv_text, neutralise, stream_csv


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ('=HYPERLINK("http://evil")', '\'=HYPERLINK("http://evil")'),
        ("+47 41 23 45 67", "'+47 41 23 45 67"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("Called about = signs", "Called about = signs"),
        ("Østbø Bygg", "Østbø Bygg"),
        ("", ""),
    ],
)
def test_text_that_a_spreadsheet_would_evaluate_is_shown_as_text(text, shown):
    assert neutralise(text) == shown


def test_values_become_cells_in_one_readable_form():
    when = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)
    some_id = uuid.uuid4()
    assert [cell(v) for v in (None, True, False, when, some_id, 3, "-x")] == [
        "",
        "true",
        "false",
        "2026-12-01T09:30:00+00:00",
        str(some_id),
        "3",
        "'-x",
    ]


def test_lines_end_in_crlf_and_fields_with_separators_quotes_or_line_breaks_are_quoted():
    text = csv_text([["plain", "a,b", 'say "hi"', "two\nlines"]])
    assert text == 'plain,"a,b","say ""hi""","two\nlines"\r\n'
    assert next(csv.reader(io.StringIO(text))) == ["plain", "a,b", 'say "hi"', "two\nlines"]


def test_a_stream_starts_with_the_bom_and_header_and_yields_each_batch_as_it_comes():
    async def batches():
        yield [["1", "=cmd"]]
        yield []
        yield [["2", "Ås"], ["3", None]]

    async def collect():
        return [chunk async for chunk in stream_csv(["id", "text"], batches())]

    chunks = asyncio.run(collect())
    assert chunks[0] == (BOM + "id,text\r\n").encode()
    assert len(chunks) == 3, "an empty batch yields nothing"
    decoded = b"".join(chunks).decode("utf-8-sig")
    assert list(csv.reader(io.StringIO(decoded))) == [["id", "text"], ["1", "'=cmd"], ["2", "Ås"], ["3", ""]]


def test_a_download_names_its_file_and_its_charset():
    async def nothing():
        return
        yield

    response = csv_download("notes.csv", ["id"], nothing())
    assert response.media_type == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"] == 'attachment; filename="notes.csv"'
