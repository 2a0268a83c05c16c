"""The flat columns of a contact spreadsheet: what the customer service's contact import reads and the
contact service's export writes, written once here because two services share the format.

A contact names its customer by `customer_number` or `customer_external_id.<system>` (never an internal
id); its own external ids are `external_id.<system>`; `roles` and `keywords` are joined with `; `; the
flags are `true` / `false`. An empty cell clears the field; a column left out leaves it as it is.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

FIXED = (
    "customer_number",
    "first_name",
    "last_name",
    "email",
    "phone",
    "title",
    "roles",
    "keywords",
    "main",
    "receives_service_reports",
    "receives_work_orders",
    "language",
)
CUSTOMER_EXTERNAL_ID = "customer_external_id."
EXTERNAL_ID = "external_id."
LIST_SEPARATOR = ";"
_TEXT = ("first_name", "last_name", "email", "phone", "title", "language")
_LISTS = ("roles", "keywords")
_FLAGS = ("main", "receives_service_reports", "receives_work_orders")


def header_problems(columns: Sequence[str]) -> list[tuple[str | None, str]]:
    """Unknown, repeated or missing columns, as (column, reason)."""
    problems: list[tuple[str | None, str]] = []
    seen: set[str] = set()
    for column in filter(None, columns):
        if column in seen:
            problems.append((column, "appears twice in the header"))
        seen.add(column)
        prefixed = column.startswith((CUSTOMER_EXTERNAL_ID, EXTERNAL_ID)) and not column.endswith(".")
        if column not in FIXED and not prefixed:
            problems.append((column, "is not a column of a contact import"))
    if "customer_number" not in seen and not any(c.startswith(CUSTOMER_EXTERNAL_ID) for c in seen):
        problems.append(("customer_number", "is required (or a customer_external_id.<system> column)"))
    for required in ("first_name", "last_name"):
        if required not in seen:
            problems.append((required, "is required"))
    return problems


def customer_keys(cells: Mapping[str, str]) -> tuple[str | None, dict[str, str]]:
    """The customer number and the customer's external ids (system → value) the row names."""
    systems = {
        column[len(CUSTOMER_EXTERNAL_ID) :]: value
        for column, value in cells.items()
        if column.startswith(CUSTOMER_EXTERNAL_ID) and value
    }
    return cells.get("customer_number") or None, systems


def contact_body(cells: Mapping[str, str]) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """The row as the JSON body `POST /v1/contacts` takes (without the customer), and the cells no schema
    can read (a flag that is not true or false), as (column, reason)."""
    body: dict[str, Any] = {}
    problems: list[tuple[str, str]] = []
    for column in _TEXT:
        if column in cells:
            body[column] = cells[column] or None
    for column in _LISTS:
        if column in cells:
            body[column] = [part.strip() for part in cells[column].split(LIST_SEPARATOR) if part.strip()]
    for column in _FLAGS:
        text = cells.get(column, "").strip().lower()
        if text in ("true", "false"):
            body[column] = text == "true"
        elif text:
            problems.append((column, "must be true or false"))
    external = {
        column[len(EXTERNAL_ID) :]: value or None
        for column, value in cells.items()
        if column.startswith(EXTERNAL_ID)
    }
    if external:
        body["external_ids"] = external
    return body, problems


def column_of(field: str | None) -> str | None:
    """The column of a field named in a refusal."""
    if field is None:
        return None
    head, _, rest = field.partition(".")
    if head == "external_ids" and rest:
        return EXTERNAL_ID + rest.split(".")[0]
    if head == "customer_id":
        return "customer_number"
    return head


def export_header(systems: Sequence[str]) -> list[str]:
    return [*FIXED, *(EXTERNAL_ID + system for system in systems)]


def export_row(
    contact: Mapping[str, Any], customer_number: str | None, header: Sequence[str]
) -> list[object]:
    """A contact (in its event form's field names) as the cells of `header`."""
    values: dict[str, object] = {name: contact.get(name) for name in _TEXT + _FLAGS}
    values["customer_number"] = customer_number
    for name in _LISTS:
        values[name] = f"{LIST_SEPARATOR} ".join(contact.get(name) or ())
    for system, value in (contact.get("external_ids") or {}).items():
        values[EXTERNAL_ID + system] = value
    return [values.get(column) for column in header]
