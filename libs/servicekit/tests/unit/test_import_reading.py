"""Reading an uploaded spreadsheet: any common delimiter and encoding, xlsx, spreadsheet row numbers."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from openpyxl import Workbook

from servicekit.csv_export import csv_text
from servicekit.imports.reading import SourceRow, UnreadableFile, file_format, read_header, read_rows


def write(tmp_path: Path, data: bytes) -> Path:
    path = tmp_path / "upload"
    path.write_bytes(data)
    return path


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252"])
def test_csv_in_any_common_delimiter_and_encoding_reads_the_same(tmp_path, delimiter, encoding):
    text = (
        f"name{delimiter}city\r\nØstbø Bygg{delimiter} Tromsø \r\n{delimiter}\r\nÆrø{delimiter}Ærøskøbing\r\n"
    )
    path = write(tmp_path, text.encode(encoding))
    assert file_format(path) == "csv"
    assert read_header(path) == ["name", "city"]
    assert list(read_rows(path)) == [
        SourceRow(2, {"name": "Østbø Bygg", "city": "Tromsø"}),
        SourceRow(4, {"name": "Ærø", "city": "Ærøskøbing"}),  # the blank row 3 is skipped
    ]


def test_an_exported_csv_reads_back_without_the_quotes_that_neutralised_formulas(tmp_path):
    exported = "\ufeff" + csv_text([["name", "remarks"], ["=HYPERLINK()", "-5 degrees"]])
    path = write(tmp_path, exported.encode())
    assert list(read_rows(path)) == [SourceRow(2, {"name": "=HYPERLINK()", "remarks": "-5 degrees"})]


def test_xlsx_cells_read_as_the_text_a_user_typed(tmp_path):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["number", "price", "flag", "note"])
    sheet.append([42, 2.5, True, "'@mention"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    path = write(tmp_path, buffer.getvalue())
    assert file_format(path) == "xlsx"
    assert list(read_rows(path)) == [
        SourceRow(2, {"number": "42", "price": "2.5", "flag": "true", "note": "@mention"})
    ]


def test_an_empty_file_or_a_broken_workbook_is_unreadable(tmp_path):
    with pytest.raises(UnreadableFile):
        read_header(write(tmp_path, b""))
    with pytest.raises(UnreadableFile):
        read_header(write(tmp_path, b"PK\x03\x04 not really a zip"))
