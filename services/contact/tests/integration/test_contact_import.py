"""Importing contacts through the customer service's job: each row names its customer by number or
external id, the contact service applies its own rules (phones to E.164) and answers row by row; a
re-import changes nothing; the contact export re-imports into an empty office as the same contacts."""

from __future__ import annotations

import csv
import io

from contact_api_helpers import auth
from import_helpers import csv_bytes, import_file, report

HEADER = [
    "customer_number",
    "customer_external_id.erp",
    "first_name",
    "last_name",
    "email",
    "phone",
    "roles",
    "main",
    "external_id.crm",
]
ROWS = [
    HEADER,
    ["500", "", "Kari", "Nordmann", "kari@fjord.no", "412 34 567", "buyer; technical", "true", "K-1"],
    ["", "C-1", "Ola", "Hansen", "ola@fjord.no", "", "", "", ""],
    ["999", "", "Per", "Ukjent", "per@fjord.no", "", "", "", ""],
    ["500", "", "Eva", "Epost", "not-an-email", "", "", "", ""],
    ["500", "", "Tor", "Telefon", "tor@fjord.no", "12", "", "", ""],
    ["500", "", "Mia", "Main", "mia@fjord.no", "", "", "yes", ""],
    ["500", "", "", "Nofirst", "nofirst@fjord.no", "", "", "", ""],
]
REFUSED = {("4", "customer_number"), ("5", "email"), ("6", "phone"), ("7", "main"), ("8", "first_name")}


async def contacts_of_office(api, token: str) -> dict[str, dict]:
    page = (await api.get("/v1/contacts", params={"limit": "200"}, headers=auth(token))).json()
    return {c["first_name"]: c for c in page["items"]}


async def customer_in(customer_api, token: str) -> dict:
    body = {"name": "Fjord AS", "customer_number": "500", "country": "NO", "external_ids": {"erp": "C-1"}}
    response = await customer_api.post("/v1/customers", json=body, headers=auth(token))
    assert response.status_code == 201, response.text
    return response.json()


async def test_contacts_import_by_customer_number_or_external_id_under_the_contact_rules(
    api, customer_api, make_token
):
    admin = make_token("office_admin")
    await customer_in(customer_api, admin)
    manager = make_token("manager")

    job = await import_file(customer_api, manager, csv_bytes(ROWS), kind="contacts")

    assert job["status"] == "done", job
    assert (job["created"], job["failed"]) == (2, 5)
    assert {(r["row"], r["column"]) for r in await report(customer_api, manager, job["id"])} == REFUSED
    contacts = await contacts_of_office(api, manager)
    assert set(contacts) == {"Kari", "Ola"}
    assert contacts["Kari"]["phone"] == "+4741234567"
    assert contacts["Kari"]["main"] is True
    assert contacts["Kari"]["roles"] == ["buyer", "technical"]
    assert contacts["Kari"]["external_ids"] == {"crm": "K-1"}

    again = await import_file(customer_api, manager, csv_bytes(ROWS), kind="contacts")
    assert (again["created"], again["updated"], again["unchanged"], again["failed"]) == (0, 0, 2, 5)
    assert await contacts_of_office(api, manager) == contacts


async def test_a_contacts_dry_run_writes_nothing(api, customer_api, make_token):
    admin = make_token("office_admin")
    await customer_in(customer_api, admin)
    job = await import_file(customer_api, admin, csv_bytes(ROWS), kind="contacts", dry_run="true")
    assert (job["created"], job["failed"]) == (2, 5)
    assert await contacts_of_office(api, admin) == {}


async def test_the_contact_export_reimports_into_an_empty_office_as_the_same_contacts(
    api, customer_api, make_token
):
    admin = make_token("office_admin")
    await customer_in(customer_api, admin)
    await import_file(customer_api, admin, csv_bytes(ROWS), kind="contacts")
    exported = await api.get("/v1/contacts/export", headers=auth(admin))
    assert exported.status_code == 200
    rows = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert rows[0] == [
        *HEADER[:1],
        *HEADER[2:5],
        "phone",
        "title",
        "roles",
        "keywords",
        "main",
        "receives_service_reports",
        "receives_work_orders",
        "language",
        "external_id.crm",
    ]
    kari = next(dict(zip(rows[0], r, strict=True)) for r in rows[1:] if r[1] == "Kari")
    assert kari["phone"] == "'+4741234567"  # neutralised; the import takes the quote off

    other = make_token("office_admin", office="office-contacts-copy")
    await customer_in(customer_api, other)
    job = await import_file(customer_api, other, exported.content, kind="contacts")
    assert (job["created"], job["failed"]) == (2, 0), job

    def comparable(contacts: dict[str, dict]) -> dict[str, dict]:
        drop = ("id", "office_id", "customer_id", "created_at", "updated_at", "created_by", "updated_by")
        return {name: {k: v for k, v in c.items() if k not in drop} for name, c in contacts.items()}

    assert comparable(await contacts_of_office(api, other)) == comparable(
        await contacts_of_office(api, admin)
    )
