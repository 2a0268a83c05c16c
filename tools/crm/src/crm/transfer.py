"""`crm import` and `crm export`: load a spreadsheet of customers or contacts through the customer
service's import job (with a progress bar, a table of the refused rows and a summary), and save a filtered
register in the same columns. A service that cannot be reached or refuses is one line, never a traceback."""

from __future__ import annotations

import csv
import io
import time
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import httpx
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from crm.reach import SERVICE_URLS, ContactUrl, CustomerUrl
from servicekit.auth import ROLES, issue_token
from servicekit.settings import JwtSettings

console = Console(stderr=True)
FAILURES_SHOWN = 50


class Kind(StrEnum):
    customers = "customers"
    contacts = "contacts"


class Format(StrEnum):
    csv = "csv"
    xlsx = "xlsx"


class Refused(Exception):
    """A service answered with an error: its status, title and detail."""


Office = Annotated[str, typer.Option(help="The office whose user runs the command.")]
Role = Annotated[str, typer.Option(help=f"The user's role, one of: {', '.join(ROLES)}.")]


def _client(url: str, office: str, role: str) -> httpx.Client:
    if role not in ROLES:
        raise typer.BadParameter(f"must be one of {', '.join(ROLES)}", param_hint="--role")
    jwt = issue_token(
        JwtSettings(), subject="crm-cli", office_id=office, roles=[role], name="crm command line"
    )
    return httpx.Client(base_url=url, headers={"Authorization": f"Bearer {jwt}"}, timeout=60.0)


def _checked(response: httpx.Response, *expected: int) -> httpx.Response:
    if response.status_code not in expected:
        try:
            problem = response.json()
            text = f"{response.status_code} {problem.get('title', '')}: {problem.get('detail', '')}"
        except ValueError:
            text = f"{response.status_code} {response.text[:200]}"
        raise Refused(text.strip())
    return response


def import_file(
    file: Annotated[
        Path, typer.Argument(exists=True, dir_okay=False, readable=True, help="CSV or xlsx file.")
    ],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Check every row; write nothing.")] = False,
    kind: Annotated[Kind, typer.Option(help="What the rows are.")] = Kind.customers,
    customer_url: CustomerUrl = SERVICE_URLS["customer"],
    office: Office = "office-1",
    role: Role = "manager",
    report: Annotated[
        Path | None, typer.Option(help="Save the full report of refused rows (CSV) here.")
    ] = None,
    every: Annotated[float, typer.Option(min=0.05, help="Seconds between progress reads.")] = 0.5,
) -> None:
    """Import customers or contacts from a CSV or xlsx file through the customer service's import job:
    rows upsert by customer number or external id; refused rows are listed with their row, column and
    reason."""
    try:
        with _client(customer_url, office, role) as client:
            job = _upload(client, file, kind, dry_run)
            job = _follow(client, job, every)
            lines = _report(client, job)
    except httpx.HTTPError as exc:
        console.print(
            f"[red]the customer service at {customer_url} did not answer:[/red] {type(exc).__name__}: {exc}"
        )
        raise typer.Exit(1) from None
    except Refused as exc:
        console.print(
            f"[red]the customer service at {customer_url} refused the import:[/red] {exc}", soft_wrap=True
        )
        raise typer.Exit(1) from None
    if report is not None:
        _write_report(report, lines)
    _show(job, lines, report)
    if job["status"] != "done":
        raise typer.Exit(1)


def _upload(client: httpx.Client, file: Path, kind: Kind, dry_run: bool) -> dict[str, Any]:
    with file.open("rb") as content:  # httpx streams the file from disk
        response = client.post(
            "/v1/imports",
            files={"file": (file.name, content)},
            data={"kind": kind.value, "dry_run": "true" if dry_run else "false"},
        )
    body: dict[str, Any] = _checked(response, 202).json()
    return body


def _follow(client: httpx.Client, job: dict[str, Any], every: float) -> dict[str, Any]:
    label = "checking" if job["dry_run"] else "importing"
    with Progress(
        TextColumn(f"{label} {job['filename']}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    ) as bar:
        task = bar.add_task(label, total=None)
        while True:
            total = job["rows_total"]
            bar.update(task, completed=job["rows_done"], total=max(total, 1) if total is not None else None)
            if job["status"] in ("done", "failed"):
                return job
            time.sleep(every)
            job = _checked(client.get(f"/v1/imports/{job['id']}"), 200).json()


def _report(client: httpx.Client, job: dict[str, Any]) -> list[dict[str, str]]:
    response = _checked(client.get(job["report_url"]), 200)
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))


def _write_report(path: Path, lines: list[dict[str, str]]) -> None:
    with path.open("w", encoding="utf-8-sig", newline="") as file:
        writer = csv.DictWriter(file, fieldnames=["row", "column", "reason"], lineterminator="\r\n")
        writer.writeheader()
        writer.writerows(lines)


def _show(job: dict[str, Any], lines: list[dict[str, str]], report: Path | None) -> None:
    if lines:
        table = Table(title="Refused rows", title_justify="left")
        for name in ("row", "column", "reason"):
            table.add_column(name, overflow="fold")
        for line in lines[:FAILURES_SHOWN]:
            table.add_row(line["row"], line["column"], line["reason"])
        console.print(table)
        if len(lines) > FAILURES_SHOWN:
            where = f" (all in {report})" if report else " (--report FILE saves them all)"
            console.print(f"… and {len(lines) - FAILURES_SHOWN} more{where}")
    verb = "checked (dry run, nothing written)" if job["dry_run"] else "imported"
    if job["status"] == "failed":
        console.print(f"[red]the import failed:[/red] {job['error']}")
        return
    console.print(
        f"{verb} {job['rows_done']} rows of {job['filename']}: {job['created']} created, {job['updated']} "
        f"updated, {job['unchanged']} unchanged, {job['failed']} refused"
    )


def export_file(
    output: Annotated[Path, typer.Option("--output", "-o", help="Where to write; .xlsx for Excel.")],
    kind: Annotated[Kind, typer.Option(help="What to export.")] = Kind.customers,
    file_format: Annotated[
        Format | None, typer.Option("--format", help="csv or xlsx (default: from the file's extension).")
    ] = None,
    active: Annotated[
        bool | None, typer.Option("--active/--inactive", help="Customers: only active or inactive.")
    ] = None,
    q: Annotated[str | None, typer.Option(help="Customers: prefix of the name or number.")] = None,
    customer_id: Annotated[str | None, typer.Option(help="Contacts: only this customer's.")] = None,
    include_inactive: Annotated[bool, typer.Option(help="Contacts: inactive ones too.")] = False,
    customer_url: CustomerUrl = SERVICE_URLS["customer"],
    contact_url: ContactUrl = SERVICE_URLS["contact"],
    office: Office = "office-1",
    role: Role = "manager",
) -> None:
    """Export the office's customers or contacts, filtered like their lists, in the import's own columns:
    the file re-imports unchanged."""
    chosen = file_format or (Format.xlsx if output.suffix.lower() == ".xlsx" else Format.csv)
    params: dict[str, str] = {"format": chosen.value}
    if kind is Kind.customers:
        base, service, path = customer_url, "customer", "/v1/customers/export"
        if active is not None:
            params["active"] = "true" if active else "false"
        if q:
            params["q"] = q
    else:
        base, service, path = contact_url, "contact", "/v1/contacts/export"
        if customer_id:
            params["customer_id"] = customer_id
        if include_inactive:
            params["include_inactive"] = "true"
    try:
        with _client(base, office, role) as client, client.stream("GET", path, params=params) as response:
            if response.status_code != 200:
                response.read()
                _checked(response, 200)
            written = _save(response, output)
    except httpx.HTTPError as exc:
        console.print(
            f"[red]the {service} service at {base} did not answer:[/red] {type(exc).__name__}: {exc}"
        )
        raise typer.Exit(1) from None
    except Refused as exc:
        console.print(f"[red]the {service} service at {base} refused the export:[/red] {exc}", soft_wrap=True)
        raise typer.Exit(1) from None
    rows = _count_rows(output, chosen)
    console.print(f"exported {rows} {kind.value} to {output} ({chosen.value}, {written:,} bytes)")


def _save(response: httpx.Response, output: Path) -> int:
    written = 0
    with Progress(
        TextColumn(f"writing {output.name}"), TextColumn("{task.completed:,.0f} bytes"), console=console
    ) as bar:
        task = bar.add_task("export", total=None)
        with output.open("wb") as file:
            for chunk in response.iter_bytes():
                file.write(chunk)
                written += len(chunk)
                bar.update(task, completed=written)
    return written


def _count_rows(path: Path, file_format: Format) -> int:
    if file_format is Format.xlsx:
        from openpyxl import load_workbook

        with path.open("rb") as file:
            workbook = load_workbook(file, read_only=True)
            count = sum(1 for _ in workbook.worksheets[0].iter_rows(values_only=True)) - 1
            workbook.close()
        return max(count, 0)
    with path.open(encoding="utf-8-sig", newline="") as file:
        return max(sum(1 for _ in csv.reader(file)) - 1, 0)


def register(app: typer.Typer) -> None:
    """Add `import` and `export` to the `crm` command."""
    app.command("import")(import_file)
    app.command("export")(export_file)
