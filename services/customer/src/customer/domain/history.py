"""What changed between two states of a customer, field by field, for the change history (SPEC §3).

Works on the customer's JSON form, so the history shows the same names and values as the API. Maps are
compared key by key (`custom_fields.size`, `external_ids.erp`) and addresses address by address
(`addresses.<id>`), so a history line names exactly what changed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# Bookkeeping that changes with every change; the history lines say who and when already.
NOT_RECORDED = frozenset(
    {"id", "office_id", "version", "created_at", "created_by", "updated_at", "updated_by"}
)
BY_KEY = frozenset({"custom_fields", "external_ids"})


@dataclass(frozen=True)
class FieldChange:
    field: str
    old: Any
    new: Any


def field_changes(before: dict[str, Any] | None, after: dict[str, Any]) -> list[FieldChange]:
    """Each field that differs; `before` None means the customer was just created (old values null),
    and then only fields with a value are listed."""
    old_state = before or {}
    changes: list[FieldChange] = []
    for name in sorted(set(old_state) | set(after)):
        if name in NOT_RECORDED:
            continue
        old, new = old_state.get(name), after.get(name)
        if name in BY_KEY:
            changes += _by_key(name, old or {}, new or {})
        elif name == "addresses":
            changes += _by_key(name, _addresses_by_id(old or []), _addresses_by_id(new or []))
        elif old != new and (before is not None or new not in (None, [], {}, "")):
            changes.append(FieldChange(name, old, new))
    return changes


def _by_key(name: str, old: dict[str, Any], new: dict[str, Any]) -> list[FieldChange]:
    return [
        FieldChange(f"{name}.{key}", old.get(key), new.get(key))
        for key in sorted(set(old) | set(new))
        if old.get(key) != new.get(key)
    ]


def _addresses_by_id(addresses: list[dict[str, Any]]) -> dict[str, Any]:
    return {str(a["id"]): {k: v for k, v in a.items() if k != "id"} for a in addresses}
