"""`crm seed N`: N Nordic customers with contacts and activities through the services' APIs; the same
command again creates nothing new."""

from __future__ import annotations

import uuid

import httpx
import phonenumbers
from stdnum.dk import cvr
from stdnum.fi import ytunnus
from stdnum.no import orgnr as no_orgnr
from stdnum.se import orgnr as se_orgnr
from typer.testing import CliRunner

from crm import cli, seed_data
from crm.reach import staff_token

runner = CliRunner()
ORGANISATION_NUMBERS = {"NO": no_orgnr, "SE": se_orgnr, "FI": ytunnus, "DK": cvr}


def seed(platform, office: str, count: int) -> str:
    result = runner.invoke(
        cli.app,
        [
            "seed",
            str(count),
            "--office",
            office,
            "--seed",
            "7",
            "--customer-url",
            platform.urls["customer"],
            "--contact-url",
            platform.urls["contact"],
            "--activity-url",
            platform.urls["activity"],
        ],
        env={"COLUMNS": "200"},
    )
    assert result.exit_code == 0, result.output
    return result.stdout


def everything(client: httpx.Client, url: str, **params) -> list[dict]:
    items, cursor = [], None
    while True:
        answer = client.get(url, params={**params, "limit": 200, **({"cursor": cursor} if cursor else {})})
        assert answer.status_code == 200, answer.text
        items += answer.json()["items"]
        cursor = answer.json()["next_cursor"]
        if not cursor:
            return items


def summary_row(output: str, kind: str) -> list[str]:
    line = next(line for line in output.splitlines() if f" {kind} " in line)
    return [cell.strip() for cell in line.strip("│┃ ").split("│")]


def test_seed_creates_nordic_customers_with_contacts_and_activities_once(crm_platform):
    office = f"office-{uuid.uuid4().hex[:10]}"
    first = seed(crm_platform, office, 6)
    headers = {"Authorization": f"Bearer {staff_token(office)}"}
    with httpx.Client(headers=headers, timeout=10) as client:
        customers = everything(client, f"{crm_platform.urls['customer']}/v1/customers")
        contacts = everything(client, f"{crm_platform.urls['contact']}/v1/contacts")
        activities = everything(client, f"{crm_platform.urls['activity']}/v1/activities")
    assert len(customers) == 6
    assert {c["country"] for c in customers} <= {"NO", "SE", "FI", "DK"}
    for customer in customers:
        assert ORGANISATION_NUMBERS[customer["country"]].is_valid(customer["organisation_number"])
        assert customer["addresses"]
    assert {c["customer_id"] for c in contacts} == {c["id"] for c in customers}
    for contact in contacts:
        assert phonenumbers.is_valid_number(phonenumbers.parse(contact["phone"]))
    assert {a["customer_id"] for a in activities} == {c["id"] for c in customers}
    assert summary_row(first, "customers") == ["customers", "6", "0"]
    assert summary_row(first, "contacts") == ["contacts", str(len(contacts)), "0"]
    assert summary_row(first, "activities") == ["activities", str(len(activities)), "0"]

    again = seed(crm_platform, office, 6)
    assert summary_row(again, "customers") == ["customers", "0", "6"]
    assert summary_row(again, "contacts") == ["contacts", "0", str(len(contacts))]
    assert summary_row(again, "activities") == ["activities", "0", str(len(activities))]
    with httpx.Client(headers=headers, timeout=10) as client:
        assert len(everything(client, f"{crm_platform.urls['customer']}/v1/customers")) == 6
        assert len(everything(client, f"{crm_platform.urls['contact']}/v1/contacts")) == len(contacts)
        assert len(everything(client, f"{crm_platform.urls['activity']}/v1/activities")) == len(activities)
        # Nothing changed the second time: every customer is still at its first version.
        versions = {c["version"] for c in everything(client, f"{crm_platform.urls['customer']}/v1/customers")}
        assert versions == {1}


def test_seed_names_a_service_that_is_down_in_one_line(crm_platform):
    result = runner.invoke(
        cli.app,
        [
            *("seed", "2", "--office", "office-x", "--activity-url", "http://127.0.0.1:9"),
            *("--customer-url", crm_platform.urls["customer"], "--contact-url", crm_platform.urls["contact"]),
        ],
    )
    assert result.exit_code == 1
    assert result.stderr.strip().startswith("the activity service at http://127.0.0.1:9 is down")
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.output


def test_a_record_the_service_refuses_is_listed_with_why_and_the_rest_is_loaded(crm_platform):
    office = f"office-{uuid.uuid4().hex[:10]}"
    headers = {"Authorization": f"Bearer {staff_token(office)}"}
    taken = seed_data.customer(7, 1).body
    with httpx.Client(base_url=crm_platform.urls["customer"], headers=headers, timeout=10) as client:
        answer = client.patch("/v1/settings", json={"organisation_number_unique": True})
        assert answer.status_code == 200, answer.text
        answer = client.post(
            "/v1/customers",
            json={
                "name": "Already Here AS",
                "country": taken["country"],
                "organisation_number": taken["organisation_number"],
            },
        )
        assert answer.status_code == 201, answer.text

    result = runner.invoke(
        cli.app,
        [
            *("seed", "3", "--office", office, "--seed", "7"),
            *("--customer-url", crm_platform.urls["customer"], "--contact-url", crm_platform.urls["contact"]),
            *("--activity-url", crm_platform.urls["activity"]),
        ],
        env={"COLUMNS": "200"},
    )
    assert result.exit_code == 1
    assert summary_row(result.stdout, "customers") == ["customers", "2", "0"]
    refused = next(line for line in result.stdout.splitlines() if "customer 7-1" in line)
    assert "409" in refused
    assert "Traceback" not in result.output


def test_a_token_the_services_refuse_stops_the_seed_in_one_line(crm_platform):
    result = runner.invoke(
        cli.app,
        [
            *("seed", "2", "--office", "office-y"),
            *("--customer-url", crm_platform.urls["customer"], "--contact-url", crm_platform.urls["contact"]),
            *("--activity-url", crm_platform.urls["activity"]),
        ],
        env={"JWT_SECRET": "not-the-services-secret-but-long-enough-0123456789"},
    )
    assert result.exit_code == 1
    [line] = result.stderr.strip().splitlines()
    assert line.startswith(
        f"the customer service at {crm_platform.urls['customer']} refused the office admin"
    )
    assert "Traceback" not in result.output
