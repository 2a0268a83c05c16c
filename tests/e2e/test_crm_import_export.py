"""`crm import` and `crm export` against the customer and contact services running as processes: a
progress bar, a table of refused rows and a summary; an exported file in the import's columns; one clear
line when a service is down."""

from __future__ import annotations

import asyncio
import csv
import socket
import uuid

from typer.testing import CliRunner

from crm import cli

runner = CliRunner()


def _write(path, rows) -> None:
    with path.open("w", encoding="utf-8", newline="") as file:
        csv.writer(file, lineterminator="\r\n").writerows(rows)


async def crm(*arguments: str):
    result = await asyncio.to_thread(runner.invoke, cli.app, list(arguments))
    assert "Traceback" not in result.output
    return result


async def test_crm_imports_and_exports_customers_and_contacts(platform, tmp_path):
    office = f"office-{uuid.uuid4().hex[:10]}"
    where = ["--customer-url", platform["customer"], "--office", office]
    customers = tmp_path / "customers.csv"
    _write(
        customers,
        [
            ["customer_number", "name", "country", "external_id.erp"],
            ["10", "Østbø Bygg AS", "NO", "E-10"],
            ["11", "Fjord Fisk AS", "Norway", ""],
            ["12", "Svensk Handel AB", "SE", ""],
        ],
    )

    checked = await crm("import", str(customers), "--dry-run", *where, "--every", "0.1")
    assert checked.exit_code == 0, checked.output
    assert "checked (dry run, nothing written) 3 rows" in checked.output

    imported = await crm(
        "import", str(customers), *where, "--every", "0.1", "--report", str(tmp_path / "r.csv")
    )
    assert imported.exit_code == 0, imported.output
    assert "Refused rows" in imported.output
    assert "country" in imported.output
    assert "2 created, 0 updated, 0 unchanged, 1 refused" in imported.output
    assert (tmp_path / "r.csv").read_text(encoding="utf-8-sig").splitlines()[1].startswith("3,country,")

    exported = tmp_path / "export.csv"
    result = await crm("export", "-o", str(exported), *where)
    assert result.exit_code == 0, result.output
    assert "exported 2 customers" in result.output
    header = exported.read_text(encoding="utf-8-sig").splitlines()[0].split(",")
    assert header[:3] == ["customer_number", "name", "type"]

    again = await crm("import", str(exported), *where, "--every", "0.1")
    assert "0 created, 0 updated, 2 unchanged, 0 refused" in again.output

    contacts = tmp_path / "contacts.csv"
    _write(
        contacts,
        [
            ["customer_external_id.erp", "first_name", "last_name", "email", "phone"],
            ["E-10", "Kari", "Nordmann", "kari@ostbo.no", "412 34 567"],
        ],
    )
    result = await crm("import", str(contacts), "--kind", "contacts", *where, "--every", "0.1")
    assert "1 created" in result.output, result.output
    contacts_out = tmp_path / "contacts.xlsx"
    result = await crm(
        "export", "--kind", "contacts", "-o", str(contacts_out), "--contact-url", platform["contact"], *where
    )
    assert result.exit_code == 0, result.output
    assert "exported 1 contacts" in result.output


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_a_customer_service_that_is_down_is_named_in_one_line(tmp_path):
    url = f"http://127.0.0.1:{_free_port()}"
    file = tmp_path / "customers.csv"
    _write(file, [["name"], ["Fjord AS"]])
    result = await crm("import", str(file), "--customer-url", url)
    assert result.exit_code == 1
    assert f"the customer service at {url} did not answer" in result.output
    result = await crm("export", "-o", str(tmp_path / "out.csv"), "--customer-url", url)
    assert result.exit_code == 1
    assert f"the customer service at {url} did not answer" in result.output
