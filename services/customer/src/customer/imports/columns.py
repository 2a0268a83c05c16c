"""The flat columns of a customer spreadsheet, written once for the import and the export.

An export writes exactly these columns and an import reads them, so an exported file re-imports
unchanged. Fixed columns carry the customer's fields; lists are joined with `; ` (`categories` by name,
`tax_ids` as `TYPE:number`); maps and addresses get a column each: `custom.<key>`, `external_id.<system>`,
`address_<n>_<field>` (n from 1; the first address is the headquarters, as in the API).

An empty cell clears the field (the file states the customer whole); a column left out of the file leaves
the field as it is. A row is turned into the JSON body the API takes (`CustomerSync`), so it meets every
rule a request meets, and a refusal is named by the column the user sees.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from customer.domain.customer import Customer

FIXED = (
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
)
ADDRESS_FIELDS = ("kind", "label", "line1", "line2", "postal_code", "city", "region", "country", "comment")
CUSTOM = "custom."
EXTERNAL_ID = "external_id."
LIST_SEPARATOR = ";"
_ADDRESS = re.compile(r"^address_([1-9][0-9]?)_([a-z0-9_]+)$")
MAX_ADDRESS_COLUMNS = 50


def header_problems(columns: Sequence[str]) -> list[tuple[str | None, str]]:
    """Unknown, repeated or missing columns, as (column, reason)."""
    problems: list[tuple[str | None, str]] = []
    seen: set[str] = set()
    for column in columns:
        if not column:
            continue
        if column in seen:
            problems.append((column, "appears twice in the header"))
        seen.add(column)
        if not _known(column):
            problems.append((column, "is not a column of a customer import"))
    if "name" not in seen:
        problems.append(("name", "is required: every row names its customer"))
    return problems


def _known(column: str) -> bool:
    if column in FIXED:
        return True
    if column.startswith((CUSTOM, EXTERNAL_ID)):
        return len(column.split(".", 1)[1]) > 0
    match = _ADDRESS.match(column)
    return bool(match and match.group(2) in ADDRESS_FIELDS)


def _none_if_empty(text: str) -> str | None:
    return text if text != "" else None


def _list(text: str) -> list[str]:
    return [part.strip() for part in text.split(LIST_SEPARATOR) if part.strip()]


def request_body(
    cells: Mapping[str, str], category_ids: Mapping[str, str]
) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """The row as the JSON body of a sync (`CustomerSync`), and what no schema can say about it (unknown
    category names, malformed lists) as (column, reason). `category_ids` maps a lower-cased name to id."""
    body: dict[str, Any] = {}
    problems: list[tuple[str, str]] = []
    if cells.get("customer_number"):  # empty: drawn for a new customer, kept for a known one
        body["customer_number"] = cells["customer_number"]
    for column in ("name", "organisation_number", "personal_identity_number", "country"):
        if column in cells:
            body[column] = _none_if_empty(cells[column])
    for column in ("vat_number", "segment", "remarks", "language"):
        if column in cells:
            body[column] = _none_if_empty(cells[column])
    for column in ("type", "vat_mode"):  # cannot be empty: an empty cell keeps the value (or the default)
        if cells.get(column):
            body[column] = cells[column].lower()
    if "tax_ids" in cells:
        tax_ids = []
        for part in _list(cells["tax_ids"]):
            kind, colon, number = part.partition(":")
            if not colon:
                problems.append(("tax_ids", f"{part!r} must be written TYPE:number"))
            tax_ids.append({"type": kind.strip(), "number": number.strip()})
        body["tax_ids"] = tax_ids
    if "categories" in cells:
        ids = []
        for name in _list(cells["categories"]):
            found = category_ids.get(name.casefold())
            if found is None:
                problems.append(("categories", f"there is no category named {name!r} in this office"))
            else:
                ids.append(found)
        body["category_ids"] = ids
    if "owner_id" in cells or "owner_name" in cells:
        owner_id, owner_name = cells.get("owner_id", ""), cells.get("owner_name", "")
        if owner_id and owner_name:
            body["owner"] = {"id": owner_id, "name": owner_name}
        elif owner_id or owner_name:
            missing = "owner_name" if owner_id else "owner_id"
            problems.append((missing, "an owner needs both owner_id and owner_name"))
        else:
            body["owner"] = None
    custom = {c[len(CUSTOM) :]: _none_if_empty(v) for c, v in cells.items() if c.startswith(CUSTOM)}
    if custom:
        body["custom_fields"] = custom
    external = {
        c[len(EXTERNAL_ID) :]: _none_if_empty(v) for c, v in cells.items() if c.startswith(EXTERNAL_ID)
    }
    if external:
        body["external_ids"] = external
    addresses = _addresses(cells)
    if addresses is not None:
        body["addresses"] = addresses
    return body, problems


def _addresses(cells: Mapping[str, str]) -> list[dict[str, Any]] | None:
    """The address slots that have any value, in slot order; None when the file has no address columns."""
    slots: dict[int, dict[str, str]] = {}
    for column, value in cells.items():
        match = _ADDRESS.match(column)
        if match:
            slots.setdefault(int(match.group(1)), {})[match.group(2)] = value
    if not slots:
        return None
    result = []
    for _, fields in sorted(slots.items()):
        if any(fields.values()):
            address: dict[str, Any] = {name: _none_if_empty(value) for name, value in fields.items()}
            if address.get("kind"):
                address["kind"] = str(address["kind"]).lower()
            result.append(address)
    return result


def active_flag(cells: Mapping[str, str]) -> tuple[bool | None, str | None]:
    """The row's `active` (None when absent or empty), or why it cannot be read."""
    text = cells.get("active", "").strip().lower()
    if not text:
        return None, None
    if text in ("true", "false"):
        return text == "true", None
    return None, "must be true or false"


def column_of(field: str) -> str:
    """The spreadsheet column of a field path in a domain error or a schema error."""
    head, _, rest = field.partition(".")
    match head:
        case "category_ids":
            return "categories"
        case "custom_fields" if rest:
            return CUSTOM + rest
        case "external_ids" if rest:
            return EXTERNAL_ID + rest.split(".")[0]
        case "addresses" if rest:
            position, _, name = rest.partition(".")
            if position.isdigit():
                return f"address_{int(position) + 1}_{name.split('.')[0] or 'kind'}"
            return "addresses"
        case "tax_ids":
            return "tax_ids"
        case "owner":
            return "owner_name" if rest.startswith("name") else "owner_id"
    return head


# --- export ----------------------------------------------------------------------------------------------


def export_header(
    custom_keys: Sequence[str], systems: Sequence[str], address_slots: int, *, with_identity_number: bool
) -> list[str]:
    """The columns of an export: the fixed ones (the personal identity number only for whoever may see
    it whole, so a re-import never writes a masked one), then custom fields, external ids, addresses."""
    fixed = [c for c in FIXED if with_identity_number or c != "personal_identity_number"]
    return [
        *fixed,
        *(CUSTOM + key for key in custom_keys),
        *(EXTERNAL_ID + system for system in systems),
        *(f"address_{n}_{name}" for n in range(1, address_slots + 1) for name in ADDRESS_FIELDS),
    ]


def export_row(customer: Customer, header: Sequence[str], category_names: Mapping[Any, str]) -> list[object]:
    """The customer's cells in the order of `header`."""
    values: dict[str, object] = {
        "customer_number": customer.customer_number,
        "name": customer.name,
        "type": customer.type,
        "organisation_number": customer.organisation_number,
        "personal_identity_number": customer.personal_identity_number,
        "country": customer.country,
        "vat_number": customer.vat_number,
        "tax_ids": f"{LIST_SEPARATOR} ".join(f"{t.type}:{t.number}" for t in customer.tax_ids),
        "segment": customer.segment,
        "categories": f"{LIST_SEPARATOR} ".join(
            category_names[c] for c in customer.category_ids if c in category_names
        ),
        "owner_id": customer.owner.id if customer.owner else None,
        "owner_name": customer.owner.name if customer.owner else None,
        "remarks": customer.remarks,
        "language": customer.language,
        "vat_mode": customer.vat_mode,
        "active": customer.active,
    }
    for key, value in customer.custom_fields.items():
        values[CUSTOM + key] = value
    for system, value in customer.external_ids.items():
        values[EXTERNAL_ID + system] = value
    for n, address in enumerate(customer.addresses, start=1):
        for name in ADDRESS_FIELDS:
            values[f"address_{n}_{name}"] = getattr(address, name)
    return [values.get(column) for column in header]
