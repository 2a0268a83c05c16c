"""Reading an uploaded spreadsheet as a stream of rows: `(row number, {column: text})`.

Rule: a file is read from disk row by row, never whole into memory. CSV in any common delimiter (`,` `;`
tab `|`, whichever the header line holds most of) and encoding (UTF-8 with or without a byte-order mark;
a file that is not valid UTF-8 is Windows-1252, what Excel on a Nordic or Western Windows writes), and
Excel xlsx through openpyxl's read-only mode (it streams the sheet's XML). Row numbers are the
spreadsheet's own (the header is row 1), so a report's "row 7" is the row the user sees as 7. Cells are
stripped text; wholly blank rows are skipped; column names are stripped and compared as written.

A cell that an export neutralised (`servicekit.csv_export`: a quote before `=`, `+`, `-`, `@`) is read
back without the quote, so an exported file re-imports as it was.

Reason: offices bring whatever their old system or Excel wrote, and a report that names another row
number than the one the user sees on screen is worse than none.
"""

from __future__ import annotations

import codecs
import csv
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path

from servicekit.csv_export import FORMULA_TRIGGERS

DELIMITERS = (",", ";", "\t", "|")
_SNIFF_BYTES = 64 * 1024
_XLSX_MAGIC = b"PK\x03\x04"


class UnreadableFile(Exception):
    """The file is no CSV or xlsx we can read, or has no header line."""


@dataclass(frozen=True)
class SourceRow:
    number: int
    """The spreadsheet's row number: the header is 1, the first data row 2."""
    cells: dict[str, str]


def file_format(path: Path) -> str:
    """`xlsx` for an Excel workbook (a zip), else `csv`."""
    with path.open("rb") as file:
        return "xlsx" if file.read(4) == _XLSX_MAGIC else "csv"


def read_header(path: Path) -> list[str]:
    """The column names of the file's header row."""
    for header, _ in _read(path):
        return header
    raise UnreadableFile("the file is empty: the first row must name the columns")


def read_rows(path: Path) -> Iterator[SourceRow]:
    """Every non-blank data row of the file, with its spreadsheet row number."""
    for header, rows in _read(path):
        for number, values in rows:
            if not any(values):
                continue
            cells = {name: values[i] if i < len(values) else "" for i, name in enumerate(header) if name}
            yield SourceRow(number, cells)
        return


def count_rows(path: Path) -> int:
    """How many rows `read_rows` yields (a pass over the file, for progress and the row limit)."""
    return sum(1 for _ in read_rows(path))


_Rows = Iterator[tuple[int, list[str]]]


def _read(path: Path) -> Iterator[tuple[list[str], _Rows]]:
    rows = _xlsx_rows(path) if file_format(path) == "xlsx" else _csv_rows(path)
    for _, first in rows:
        yield [name.strip() for name in first], rows
        return


def _csv_rows(path: Path) -> _Rows:
    encoding = _encoding(path)
    with path.open("r", encoding=encoding, newline="") as file:
        delimiter = _delimiter(file.readline())
        file.seek(0)
        reader = csv.reader(file, delimiter=delimiter)
        try:
            for number, values in enumerate(reader, start=1):
                yield number, [_text(value) for value in values]
        except csv.Error as exc:
            raise UnreadableFile(f"row {reader.line_num}: {exc}") from exc


def _encoding(path: Path) -> str:
    """utf-8-sig when the whole file decodes as UTF-8 (a BOM is then dropped), else Windows-1252."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    with path.open("rb") as file:
        try:
            while chunk := file.read(_SNIFF_BYTES):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return "cp1252"
    return "utf-8-sig"


def _delimiter(header_line: str) -> str:
    """The candidate the header line holds most of (ties: the earlier in DELIMITERS); `,` by default."""
    counts = [(header_line.count(d), -n, d) for n, d in enumerate(DELIMITERS)]
    best = max(counts)
    return best[2] if best[0] > 0 else ","


def _xlsx_rows(path: Path) -> _Rows:
    from openpyxl import load_workbook  # only for xlsx uploads

    with path.open("rb") as file:  # a file object: openpyxl would refuse a path without .xlsx
        try:
            workbook = load_workbook(file, read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises many kinds for a broken zip or sheet
            raise UnreadableFile(f"not a readable xlsx workbook: {exc}") from exc
        try:
            sheet = workbook.worksheets[0]
            for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
                yield number, [_xlsx_text(value) for value in values]
        finally:
            workbook.close()


def _xlsx_text(value: object) -> str:
    """A cell as the text a user would type: whole numbers without `.0`, dates as ISO 8601."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time(0) else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return _text(str(value))


def _text(value: str) -> str:
    text = value.strip()
    if text[:1] == "'" and text[1:2] and text[1] in FORMULA_TRIGGERS:
        return text[1:]
    return text
