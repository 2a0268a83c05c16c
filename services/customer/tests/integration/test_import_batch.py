"""The import's batch path keeps every rule of the per-row path: a batch mixing new rows, updates,
unchanged rows, refused rows and rows naming one customer twice ends exactly as the per-row path ends it;
two jobs at once in one office draw unique numbers and make no twins; a customer created by the batch
path has the history and the event of one created through the API."""

from __future__ import annotations

import asyncio
import re
import uuid
from collections import Counter
from typing import Any

import pytest
from sqlalchemy import text

from customer.adapters import batch_repository
from customer.config import Settings
from customer.imports import batch, rows
from customer.main import create_app
from customer_api_helpers import auth, change_settings
from import_helpers import all_customers, csv_bytes, finished, import_file, report, upload
from servicekit.db import create_engine
from servicekit.testing.services import running_in_process, settings_for_tests

HEADER = [
    "customer_number",
    "name",
    "segment",
    "organisation_number",
    "country",
    "external_id.erp",
    "address_1_kind",
    "address_1_line1",
    "address_1_city",
    "active",
]
ALFA = ["200", "Alfa AS", "SMB", "", "NO", "A-1", "visiting", "Storgata 1", "Oslo", ""]
BEFORE = [
    HEADER,
    ALFA,
    ["201", "Beta AS", "SMB", "", "NO", "", "", "", "", ""],
    ["202", "Gamma AS", "", "923609016", "NO", "", "", "", "", ""],
]
MIXED = [
    HEADER,
    ["300", "Ny 1 AS", "SMB", "", "NO", "N-1", "postal", "Postboks 1", "Bergen", ""],  # 2 created
    ["", "Ny 2 AS", "", "812345605", "NO", "N-2", "", "", "", ""],  # 3 created, number drawn
    ALFA,  # 4 unchanged
    ["201", "Beta AS", "Enterprise", "", "NO", "", "", "", "", ""],  # 5 updated
    ["", "Bad Country AS", "", "", "Norway", "", "", "", "", ""],  # 6 refused when read
    ["301", "Dup AS", "", "", "NO", "", "", "", "", ""],  # 7 created
    ["301", "Dup AS", "Public", "", "NO", "", "", "", "", ""],  # 8 updated: the same number
    ["302", "Clash AS", "", "923 609 016", "NO", "", "", "", "", ""],  # 9 refused: Gamma's orgnr
    ["303", "Bad Orgnr AS", "", "123", "NO", "", "", "", "", ""],  # 10 refused by the rules
    ["", "Twin AS", "", "", "NO", "T-1", "", "", "", ""],  # 11 created
    ["", "Twin AS", "Public", "", "NO", "T-1", "", "", "", ""],  # 12 updated: the same external id
    ["", "Inactive AS", "", "", "NO", "", "", "", "", "false"],  # 13 created, then deactivated
]
DECIDED_BY_THE_BATCH = {2: "created", 3: "created", 4: "unchanged"}

_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
# Differ by nature between two offices, two runs or two authors; everything else must be equal.
_VARYING = {
    "id",
    "office_id",
    "created_at",
    "updated_at",
    "created_by",
    "updated_by",
    "changed_at",
    "changed_by",
    "occurred_at",
    "aggregate_id",
    "correlation_id",
    "causation_id",
    "actor",
}


def _scrub(value: Any) -> Any:
    if isinstance(value, dict):
        return {_UUID.sub("<id>", k): _scrub(v) for k, v in value.items() if k not in _VARYING}
    if isinstance(value, list):
        return [_scrub(v) for v in value]
    if isinstance(value, str):
        return _UUID.sub("<id>", value)
    return value


async def _trace(api, token: str, database_url: str, office_id: str) -> dict[str, Any]:
    """Every customer of the office with its history and its events, by customer number, scrubbed."""
    customers = await all_customers(api, token)
    names = {c["id"]: c["customer_number"] for c in customers}
    engine = create_engine(database_url)
    try:
        async with engine.connect() as connection:
            found = await connection.execute(
                text("SELECT envelope FROM outbox WHERE envelope->>'office_id' = :office ORDER BY id"),
                {"office": office_id},
            )
            envelopes = [row.envelope for row in found]
    finally:
        await engine.dispose()
    trace: dict[str, Any] = {}
    for customer in customers:
        history = await api.get(
            f"/v1/customers/{customer['id']}/history", params={"limit": "200"}, headers=auth(token)
        )
        assert history.status_code == 200, history.text
        events = [e for e in envelopes if e["aggregate_id"] == customer["id"]]
        trace[names[customer["id"]]] = {
            "customer": _scrub(customer),
            "history": sorted(
                (_scrub(h) for h in history.json()["items"]), key=lambda h: (h["version"], h["field"])
            ),
            "events": [_scrub(e) for e in events],
        }
    return trace


async def _run_mixed(
    api, make_token, settings: Settings, office: str, before: list | None = BEFORE, file: list = MIXED
) -> tuple[dict, list, dict]:
    admin, manager = make_token("office_admin", office=office), make_token("manager", office=office)
    await change_settings(api, admin, organisation_number_unique=True)
    if before:
        assert (await import_file(api, manager, csv_bytes(before)))["created"] == len(before) - 1
    job = await import_file(api, manager, csv_bytes(file))
    lines = [(line["row"], line["column"], line["reason"]) for line in await report(api, manager, job["id"])]
    return job, sorted(lines), await _trace(api, manager, settings.database_url, office)


@pytest.fixture
def settings(customer_database: str, infra, topology) -> Settings:
    return settings_for_tests(
        Settings, customer_database, infra, topology, import_poll_interval_s=0.2, import_batch_size=50
    )


async def test_a_mixed_batch_ends_exactly_as_the_per_row_path_ends_it(api, make_token, settings, monkeypatch):
    decided: dict[int, str] = {}

    async def watched(*arguments: Any, **options: Any) -> Any:
        outcomes, left = await batch.apply_batch(*arguments, **options)
        decided.update(outcomes)
        return outcomes, left

    monkeypatch.setattr(rows, "apply_batch", watched)
    batch_job, batch_report, batch_trace = await _run_mixed(api, make_token, settings, _office())

    async def per_row_only(uow: Any, user: Any, read: Any, *, dry_run: bool) -> Any:
        return {}, list(read)

    monkeypatch.setattr(rows, "apply_batch", per_row_only)
    row_job, row_report, row_trace = await _run_mixed(api, make_token, settings, _office())

    counts = ("created", "updated", "unchanged", "failed")
    assert [batch_job[c] for c in counts] == [row_job[c] for c in counts] == [5, 3, 1, 3]
    assert {row for row, _, _ in batch_report} == {"6", "9", "10"}
    assert batch_report == row_report
    assert batch_trace == row_trace
    assert {n: o for n, o in decided.items() if n in DECIDED_BY_THE_BATCH} == DECIDED_BY_THE_BATCH
    assert batch_trace["301"]["customer"]["segment"] == "Public"
    assert [e["type"] for e in batch_trace["201"]["events"]] == ["customer.created", "customer.updated"]


async def test_numbers_given_and_drawn_in_one_batch_are_taken_in_file_order(
    api, make_token, settings, monkeypatch
):
    # Per row: Auto 1 draws 1, Given 2 claims 2, Auto 2 skips 2 for 3, Auto 3 draws 4, and Given 3 names
    # number 3, now Auto 2's: it updates that customer.
    file = [["customer_number", "name"], ["", "Auto 1"], ["2", "Given 2"], ["", "Auto 2"], ["", "Auto 3"]]
    file.append(["3", "Given 3"])
    batch_job, batch_report, batch_trace = await _run_mixed(api, make_token, settings, _office(), None, file)

    async def per_row_only(uow: Any, user: Any, read: Any, *, dry_run: bool) -> Any:
        return {}, list(read)

    monkeypatch.setattr(rows, "apply_batch", per_row_only)
    row_job, row_report, row_trace = await _run_mixed(api, make_token, settings, _office(), None, file)

    counts = ("created", "updated", "unchanged", "failed")
    assert [batch_job[c] for c in counts] == [row_job[c] for c in counts] == [4, 1, 0, 0]
    assert batch_report == row_report == []
    assert batch_trace == row_trace
    assert {number: t["customer"]["name"] for number, t in batch_trace.items()} == {
        "1": "Auto 1",
        "2": "Given 2",
        "3": "Given 3",
        "4": "Auto 3",
    }


async def test_a_write_the_batch_checks_missed_is_undone_and_its_rows_decided_one_by_one(
    api, make_token, settings, office_id, monkeypatch
):
    manager = make_token("manager")
    header = ["customer_number", "name"]
    assert (await import_file(api, manager, csv_bytes([header, ["500", "Alfa AS"]])))["created"] == 1

    async def nothing_found(*arguments: Any) -> dict:
        return {}

    async def all_free(session: Any, office: str, numbers: Any, **options: Any) -> set[str]:
        return set(numbers)

    # Sabotage: the batch path thinks 500 is a new customer with a free number; the insert is refused.
    monkeypatch.setattr(batch_repository, "ids_by_numbers", nothing_found)
    monkeypatch.setattr(batch_repository, "free_numbers", all_free)
    job = await import_file(api, manager, csv_bytes([header, ["501", "Ny AS"], ["500", "Alfa AS"]]))

    assert (job["created"], job["updated"], job["unchanged"], job["failed"]) == (1, 0, 1, 0)
    customers = await all_customers(api, manager)
    assert sorted((c["customer_number"], c["name"], c["version"]) for c in customers) == [
        ("500", "Alfa AS", 1),
        ("501", "Ny AS", 1),
    ]


async def test_a_dry_run_of_the_batch_path_writes_nothing_and_draws_no_number(
    api, make_token, settings, office_id
):
    manager = make_token("manager")
    job = await import_file(api, manager, csv_bytes(MIXED), dry_run="true")
    # Nothing exists yet: rows 4, 5 and 9 create too; 8 and 12 update what 7 and 11 created.
    assert (job["created"], job["updated"], job["failed"]) == (8, 2, 2)
    assert await all_customers(api, manager) == []
    created = await api.post("/v1/customers", json={"name": "First"}, headers=auth(manager))
    assert created.json()["customer_number"] == "1"


async def test_two_jobs_at_once_in_one_office_draw_unique_numbers_and_make_no_twins(
    customer_database, infra, topology, make_token, office_id
):
    settings = settings_for_tests(
        Settings, customer_database, infra, topology, import_poll_interval_s=0.1, import_batch_size=25
    )
    manager = make_token("manager")
    header = ["name", "external_id.erp"]
    first = [header] + [[f"Kunde {n}", f"E-{n}"] for n in range(300)]
    second = (
        [header]
        + [[f"Kunde {n}", f"E-{n}"] for n in range(150, 450)]
        + [[f"Uten {n}", ""] for n in range(50)]
    )

    async with (
        running_in_process(create_app(settings), "http://customer") as one,
        running_in_process(create_app(settings), "http://customer") as other,
    ):
        jobs = await asyncio.gather(
            upload(one, manager, csv_bytes(first)), upload(other, manager, csv_bytes(second))
        )
        done = await asyncio.gather(
            finished(one, manager, jobs[0]["id"], within=120),
            finished(other, manager, jobs[1]["id"], within=120),
        )
        customers = await all_customers(one, manager)

    assert [job["status"] for job in done] == ["done", "done"]
    assert sum(job["created"] for job in done) == 500
    assert sum(job["unchanged"] for job in done) == 150
    assert sum(job["failed"] + job["updated"] for job in done) == 0
    numbers = [c["customer_number"] for c in customers]
    assert len(customers) == 500
    assert None not in numbers
    assert len(set(numbers)) == 500
    erp_ids = Counter(c["external_ids"].get("erp") for c in customers)
    assert erp_ids.pop(None) == 50
    assert set(erp_ids.values()) == {1}
    assert len(erp_ids) == 450


async def test_a_customer_created_by_the_batch_path_has_the_history_and_event_of_one_created_through_the_api(
    api, make_token, settings, office_id
):
    body = {
        "customer_number": "700",
        "name": "Likt AS",
        "segment": "SMB",
        "organisation_number": "923609016",
        "country": "NO",
        "external_ids": {"erp": "L-1"},
        "addresses": [{"kind": "visiting", "line1": "Storgata 1", "city": "Oslo"}],
    }
    through_api = make_token("manager")
    response = await api.post("/v1/customers", json=body, headers=auth(through_api))
    assert response.status_code == 201, response.text
    imported_office = _office()
    importer = make_token("manager", office=imported_office)
    row = ["700", "Likt AS", "SMB", "923609016", "NO", "L-1", "visiting", "Storgata 1", "Oslo", ""]

    job = await import_file(api, importer, csv_bytes([HEADER, row]))

    assert job["created"] == 1
    api_trace = await _trace(api, through_api, settings.database_url, office_id)
    import_trace = await _trace(api, importer, settings.database_url, imported_office)
    assert import_trace["700"]["customer"] == api_trace["700"]["customer"]
    assert import_trace["700"]["history"] == api_trace["700"]["history"]
    assert [h["field"] for h in import_trace["700"]["history"]]  # not vacuous
    [imported_event] = import_trace["700"]["events"]
    [api_event] = api_trace["700"]["events"]
    assert imported_event == api_event
    assert imported_event["payload"]["customer"]["external_ids"] == {"erp": "L-1"}


def _office() -> str:
    return f"office-{uuid.uuid4().hex[:12]}"
