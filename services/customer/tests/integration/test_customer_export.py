"""Exporting customers in the import's own columns (CSV and xlsx), formulas neutralised, and the round trip:
an export imported into an empty office gives the same register, field by field."""

from __future__ import annotations

import csv
import io

import pytest

from customer.config import Settings
from customer_api_helpers import auth
from import_helpers import all_customers, csv_bytes, import_file, xlsx_rows
from servicekit.testing.services import settings_for_tests

REGISTER = [
    [
        "customer_number",
        "name",
        "type",
        "organisation_number",
        "personal_identity_number",
        "country",
        "vat_number",
        "tax_ids",
        "segment",
        "categories",
        "owner_id",
        "owner_name",
        "remarks",
        "language",
        "vat_mode",
        "active",
        "custom.tier",
        "custom.since",
        "external_id.erp",
        "address_1_kind",
        "address_1_line1",
        "address_1_postal_code",
        "address_1_city",
        "address_1_country",
        "address_2_kind",
        "address_2_line1",
        "address_2_city",
        "address_2_comment",
    ],
    [
        "100",
        "Østbø Bygg AS",
        "company",
        "923609016",
        "",
        "NO",
        "NO923609016MVA",
        "GSTIN:27AAPFU0939F1ZV",
        "SMB",
        "Partner; Supplier",
        "u-1",
        "Kari Nordmann",
        '=HYPERLINK("http://x")',
        "nb",
        "normal",
        "true",
        "A",
        "2024-05-01",
        "E-1",
        "visiting",
        "Storgata 1",
        "0155",
        "Oslo",
        "NO",
        "invoice",
        "Postboks 7",
        "Oslo",
        "-attention: accounts",
    ],
    [
        "101",
        "Ola Nordmann",
        "private",
        "",
        "01019012345",
        "NO",
        "",
        "",
        "",
        "",
        "",
        "",
        "+ private",
        "",
        "no_vat",
        "false",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
    ],
    [
        "102",
        "Svensk Handel AB",
        "company",
        "",
        "",
        "SE",
        "",
        "",
        "@Enterprise",
        "Supplier",
        "",
        "",
        "",
        "sv",
        "normal",
        "true",
        "B",
        "",
        "S-9",
        "postal",
        "Box 12",
        "111 22",
        "Stockholm",
        "SE",
        "",
        "",
        "",
        "",
    ],
]


@pytest.fixture
def settings(customer_database: str, infra, topology) -> Settings:
    return settings_for_tests(Settings, customer_database, infra, topology, import_poll_interval_s=0.2)


async def prepare_office(api, admin: str) -> None:
    for name in ("Partner", "Supplier"):
        response = await api.post("/v1/categories", json={"name": name}, headers=auth(admin))
        assert response.status_code == 201, response.text
    for field in (
        {"key": "tier", "label": "Tier", "type": "select", "options": ["A", "B"]},
        {"key": "since", "label": "Customer since", "type": "date"},
    ):
        response = await api.post("/v1/custom-fields", json=field, headers=auth(admin))
        assert response.status_code == 201, response.text


def comparable(customer: dict, category_names: dict[str, str]) -> dict:
    """The customer without what differs between offices by nature: ids, office, times and authors."""
    kept = {
        k: v
        for k, v in customer.items()
        if k
        not in ("id", "office_id", "created_at", "updated_at", "created_by", "updated_by", "category_ids")
    }
    kept["categories"] = sorted(category_names[c] for c in customer["category_ids"])
    kept["addresses"] = [{k: v for k, v in a.items() if k != "id"} for a in customer["addresses"]]
    return kept


async def register(api, token: str) -> dict[str, dict]:
    categories = (await api.get("/v1/categories", headers=auth(token))).json()
    items = categories["items"] if isinstance(categories, dict) else categories
    names = {c["id"]: c["name"] for c in items}
    return {c["customer_number"]: comparable(c, names) for c in await all_customers(api, token)}


async def test_the_export_has_the_import_columns_and_neutralises_formulas(api, make_token):
    admin = make_token("office_admin")
    await prepare_office(api, admin)
    job = await import_file(api, admin, csv_bytes(REGISTER))
    assert (job["created"], job["failed"]) == (3, 0), job

    response = await api.get("/v1/customers/export", headers=auth(admin))

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][:16] == REGISTER[0][:16]
    by_number = {row[0]: dict(zip(rows[0], row, strict=True)) for row in rows[1:]}
    assert by_number["100"]["remarks"] == '\'=HYPERLINK("http://x")'
    assert by_number["100"]["address_2_comment"] == "'-attention: accounts"
    assert by_number["101"]["remarks"] == "'+ private"
    assert by_number["102"]["segment"] == "'@Enterprise"
    # A manager sees personal identity numbers masked: the column is left out rather than exported masked.
    managers = await api.get(
        "/v1/customers/export", params={"active": "true"}, headers=auth(make_token("manager"))
    )
    manager_rows = list(csv.reader(io.StringIO(managers.content.decode("utf-8-sig"))))
    assert "personal_identity_number" not in manager_rows[0]
    assert sorted(row[0] for row in manager_rows[1:]) == ["100", "102"]  # the filter of the list


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
async def test_an_export_imported_into_an_empty_office_gives_the_same_register(api, make_token, file_format):
    admin = make_token("office_admin")
    await prepare_office(api, admin)
    assert (await import_file(api, admin, csv_bytes(REGISTER)))["created"] == 3
    exported = await api.get("/v1/customers/export", params={"format": file_format}, headers=auth(admin))
    assert exported.status_code == 200
    if file_format == "xlsx":
        rows = xlsx_rows(exported.content)
        ostbo = next(dict(zip(rows[0], row, strict=True)) for row in rows if row[0] == "100")
        assert ostbo["remarks"] == '\'=HYPERLINK("http://x")'

    empty_office = make_token("office_admin", office=f"office-empty-{file_format}-{id(exported)}")
    await prepare_office(api, empty_office)
    job = await import_file(api, empty_office, exported.content)

    assert (job["created"], job["failed"]) == (3, 0), job
    assert await register(api, empty_office) == await register(api, admin)
    # And exporting the copy gives the same file again.
    again = await api.get("/v1/customers/export", params={"format": "csv"}, headers=auth(empty_office))
    original = await api.get("/v1/customers/export", params={"format": "csv"}, headers=auth(admin))
    assert again.content == original.content
