"""Importing customers from CSV and xlsx as a job: good rows applied, every bad row reported with its row,
column and reason, a dry run that writes nothing, a re-import that changes nothing."""

from __future__ import annotations

import pytest

from customer.config import Settings
from customer_api_helpers import auth
from import_helpers import all_customers, csv_bytes, events_of_office, import_file, report, upload, xlsx_bytes
from servicekit.testing.services import settings_for_tests

HEADER = [
    "customer_number",
    "name",
    "type",
    "organisation_number",
    "country",
    "tax_ids",
    "categories",
    "custom.tier",
    "external_id.erp",
    "address_1_kind",
    "address_1_line1",
    "address_1_postal_code",
    "address_1_city",
    "active",
]
GOOD_AND_BAD = [
    HEADER,
    [
        "100",
        "Østbø Bygg AS",
        "company",
        "923609016",
        "NO",
        "GSTIN:27AAPFU0939F1ZV",
        "Partner",
        "A",
        "E-1",
        "visiting",
        "Storgata 1",
        "0155",
        "Oslo",
        "true",
    ],
    ["101", "Bad Country AS", "company", "", "Norway", "", "", "", "", "", "", "", "", ""],
    ["102", "Unknown Category AS", "company", "", "NO", "", "Nope", "", "", "", "", "", "", ""],
    ["103", "", "company", "", "NO", "", "", "", "", "", "", "", "", ""],
    ["104", "Bad Orgnr AS", "company", "123", "NO", "", "", "", "", "", "", "", "", ""],
    ["105", "Bad Tier AS", "company", "", "NO", "", "", "Z", "", "", "", "", "", ""],
    ["106", "Bad Address AS", "company", "", "NO", "", "", "", "", "home", "Vei 2", "", "", ""],
    ["107", "Bad Active AS", "company", "", "NO", "", "", "", "", "", "", "", "", "maybe"],
    ["", "Søren Smørrebrød ApS", "company", "", "DK", "", "partner", "b", "E-2", "", "", "", "", "false"],
    ["108", "Bad Tax Id AS", "company", "", "NO", "bogus", "", "", "", "", "", "", "", ""],
]
EXPECTED_REFUSALS = {
    ("3", "country"),
    ("4", "categories"),
    ("5", "name"),
    ("6", "organisation_number"),
    ("7", "custom.tier"),
    ("8", "address_1_kind"),
    ("9", "active"),
    ("11", "tax_ids"),
}


@pytest.fixture
def settings(customer_database: str, infra, topology) -> Settings:
    # Batches of four: refused rows share batches with good ones, which must still apply.
    return settings_for_tests(
        Settings, customer_database, infra, topology, import_poll_interval_s=0.2, import_batch_size=4
    )


async def prepare_office(api, admin: str) -> None:
    response = await api.post("/v1/categories", json={"name": "Partner"}, headers=auth(admin))
    assert response.status_code == 201, response.text
    tier = {"key": "tier", "label": "Tier", "type": "select", "options": ["A", "B"]}
    response = await api.post("/v1/custom-fields", json=tier, headers=auth(admin))
    assert response.status_code == 201, response.text


def the_file(kind: str) -> bytes:
    if kind == "xlsx":
        return xlsx_bytes(GOOD_AND_BAD)
    # Semicolons and Windows-1252, as Excel on a Nordic Windows saves a CSV.
    return csv_bytes(GOOD_AND_BAD, delimiter=";", encoding="cp1252")


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
async def test_good_rows_are_applied_and_every_bad_row_is_reported_with_its_column(
    api, make_token, settings, office_id, kind
):
    admin, manager = make_token("office_admin"), make_token("manager")
    await prepare_office(api, admin)

    job = await import_file(api, manager, the_file(kind))

    assert job["status"] == "done", job
    assert job["file_format"] == kind
    assert (job["rows_total"], job["rows_done"]) == (10, 10)
    assert (job["created"], job["updated"], job["unchanged"], job["failed"]) == (2, 0, 0, 8)
    lines = await report(api, manager, job["id"])
    assert {(line["row"], line["column"]) for line in lines} == EXPECTED_REFUSALS
    assert all(line["reason"] for line in lines)

    customers = {c["name"]: c for c in await all_customers(api, manager)}
    assert set(customers) == {"Østbø Bygg AS", "Søren Smørrebrød ApS"}
    ostbo = customers["Østbø Bygg AS"]
    assert ostbo["customer_number"] == "100"
    assert ostbo["organisation_number"] == "923 609 016"
    assert ostbo["tax_ids"] == [{"type": "GSTIN", "number": "27AAPFU0939F1ZV"}]
    assert ostbo["custom_fields"] == {"tier": "A"}
    assert ostbo["external_ids"] == {"erp": "E-1"}
    assert [(a["kind"], a["line1"], a["city"], a["headquarters"]) for a in ostbo["addresses"]] == [
        ("visiting", "Storgata 1", "Oslo", True)
    ]
    soren = customers["Søren Smørrebrød ApS"]
    assert soren["customer_number"] == "1"  # drawn: the row named none
    assert soren["custom_fields"] == {"tier": "B"}  # select options match whatever the case
    assert soren["active"] is False
    assert len(soren["category_ids"]) == 1
    events = await events_of_office(settings.database_url, office_id)
    assert sorted(e for e, _ in events if e.startswith("customer.")) == [
        "customer.created",
        "customer.created",
        "customer.deactivated",
    ]


async def test_a_dry_run_checks_every_row_and_writes_nothing(api, make_token, settings, office_id):
    admin, manager = make_token("office_admin"), make_token("manager")
    await prepare_office(api, admin)
    before = await events_of_office(settings.database_url, office_id)

    job = await import_file(api, manager, the_file("csv"), dry_run="true")

    assert job["status"] == "done"
    assert job["dry_run"] is True
    assert (job["created"], job["failed"]) == (2, 8)
    assert {
        (line["row"], line["column"]) for line in await report(api, manager, job["id"])
    } == EXPECTED_REFUSALS
    assert await all_customers(api, manager) == []
    assert await events_of_office(settings.database_url, office_id) == before
    # Not even a customer number was used up.
    created = await api.post("/v1/customers", json={"name": "First"}, headers=auth(manager))
    assert created.json()["customer_number"] == "1"


async def test_importing_the_same_file_again_changes_nothing(api, make_token, settings, office_id):
    admin, manager = make_token("office_admin"), make_token("manager")
    await prepare_office(api, admin)
    first = await import_file(api, manager, the_file("csv"))
    assert first["created"] == 2
    customers = await all_customers(api, manager)
    events = await events_of_office(settings.database_url, office_id)

    again = await import_file(api, manager, the_file("csv"))

    assert (again["created"], again["updated"], again["unchanged"], again["failed"]) == (0, 0, 2, 8)
    ostbo_before = next(c for c in customers if c["customer_number"] == "100")
    ostbo_after = next(c for c in await all_customers(api, manager) if c["customer_number"] == "100")
    assert ostbo_after == ostbo_before  # same version, same everything
    assert await all_customers(api, manager) == customers
    assert await events_of_office(settings.database_url, office_id) == events


async def test_a_row_that_changes_a_customer_updates_it_once(api, make_token, settings, office_id):
    admin, manager = make_token("office_admin"), make_token("manager")
    await prepare_office(api, admin)
    await import_file(
        api, manager, csv_bytes([["customer_number", "name", "segment"], ["7", "Fjord AS", "SMB"]])
    )
    job = await import_file(
        api, manager, csv_bytes([["customer_number", "name", "segment"], ["7", "Fjord AS", "Enterprise"]])
    )
    assert (job["created"], job["updated"]) == (0, 1)
    [fjord] = await all_customers(api, manager)
    assert (fjord["segment"], fjord["version"]) == ("Enterprise", 2)


async def test_a_file_with_unknown_columns_is_refused_before_any_row(api, make_token):
    manager = make_token("manager")
    job = await import_file(api, manager, csv_bytes([["name", "colour"], ["Fjord AS", "blue"]]))
    assert job["status"] == "failed"
    assert job["rows_done"] == 0
    assert [(line["row"], line["column"]) for line in await report(api, manager, job["id"])] == [
        ("1", "colour")
    ]
    assert await all_customers(api, manager) == []


async def test_a_file_above_the_size_limit_is_a_413(
    api, make_token, settings, customer_database, infra, topology
):
    from customer.main import create_app
    from servicekit.testing.services import running_in_process

    small = settings.model_copy(update={"import_max_bytes": 100})
    async with running_in_process(create_app(small), "http://customer") as client:
        response = await client.post(
            "/v1/imports",
            files={"file": ("big.csv", b"name\r\n" + b"x" * 200)},
            headers=auth(make_token("manager")),
        )
    assert response.status_code == 413
    assert response.json()["errors"][0]["field"] == "file"


async def test_viewers_cannot_import_and_offices_see_only_their_own_jobs(api, make_token):
    manager = make_token("manager")
    data = csv_bytes([["name"], ["Fjord AS"]])
    refused = await api.post(
        "/v1/imports", files={"file": ("f.csv", data)}, headers=auth(make_token("viewer"))
    )
    assert refused.status_code == 403
    job = await upload(api, manager, data)
    other = make_token("manager", office="office-elsewhere")
    assert (await api.get(f"/v1/imports/{job['id']}", headers=auth(other))).status_code == 404
    assert (await api.get("/v1/imports", headers=auth(other))).json()["items"] == []
    listed = (await api.get("/v1/imports", headers=auth(manager))).json()["items"]
    assert [j["id"] for j in listed] == [job["id"]]
