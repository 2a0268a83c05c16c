"""Helpers of the customer import and export tests (on pytest's pythonpath, hence the unique name)."""

from __future__ import annotations

import asyncio
import csv
import io
from collections.abc import Sequence

import httpx
from openpyxl import Workbook, load_workbook
from sqlalchemy import text

from customer_api_helpers import auth
from servicekit.db import create_engine


def csv_bytes(rows: Sequence[Sequence[str]], *, delimiter: str = ",", encoding: str = "utf-8") -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue().encode(encoding)


def xlsx_bytes(rows: Sequence[Sequence[object]]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(list(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def xlsx_rows(data: bytes) -> list[list[str]]:
    workbook = load_workbook(io.BytesIO(data), read_only=True)
    return [
        ["" if v is None else str(v) for v in row]
        for row in workbook.worksheets[0].iter_rows(values_only=True)
    ]


async def upload(
    api: httpx.AsyncClient, token: str, data: bytes, *, filename: str = "customers.csv", **form: str
) -> dict:
    response = await api.post("/v1/imports", files={"file": (filename, data)}, data=form, headers=auth(token))
    assert response.status_code == 202, response.text
    return response.json()


async def finished(api: httpx.AsyncClient, token: str, job_id: str, within: float = 60.0) -> dict:
    async with asyncio.timeout(within):
        while True:
            job = (await api.get(f"/v1/imports/{job_id}", headers=auth(token))).json()
            if job["status"] in ("done", "failed"):
                return job
            await asyncio.sleep(0.05)


async def report(api: httpx.AsyncClient, token: str, job_id: str) -> list[dict[str, str]]:
    response = await api.get(f"/v1/imports/{job_id}/report", headers=auth(token))
    assert response.status_code == 200, response.text
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))


async def import_file(api: httpx.AsyncClient, token: str, data: bytes, **form: str) -> dict:
    job = await upload(api, token, data, filename="f.xlsx" if data[:2] == b"PK" else "f.csv", **form)
    return await finished(api, token, job["id"])


async def all_customers(api: httpx.AsyncClient, token: str) -> list[dict]:
    items, cursor = [], None
    while True:
        params = {"limit": "200", **({"cursor": cursor} if cursor else {})}
        page = (await api.get("/v1/customers", params=params, headers=auth(token))).json()
        items += page["items"]
        cursor = page["next_cursor"]
        if not cursor:
            return items


async def events_of_office(database_url: str, office_id: str) -> list[tuple[str, int]]:
    """(event type, aggregate version) of every event the office's changes wrote to the outbox."""
    engine = create_engine(database_url)
    try:
        async with engine.connect() as connection:
            rows = await connection.execute(
                text(
                    "SELECT event_type, aggregate_version FROM outbox "
                    "WHERE envelope->>'office_id' = :office ORDER BY id"
                ),
                {"office": office_id},
            )
            return [(r.event_type, r.aggregate_version) for r in rows]
    finally:
        await engine.dispose()
