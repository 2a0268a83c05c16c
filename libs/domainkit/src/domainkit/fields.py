"""`NOT_SENT`: the value of a command field the client did not send, distinct from an explicit null.

A PATCH that sends `"segment": null` clears the segment; one that leaves `segment` out keeps it. Commands
type such a field as `str | None | NotSent` with `NOT_SENT` as its default, so the checker sees both cases.
"""

from __future__ import annotations

import enum
from dataclasses import fields
from typing import Any


class NotSent(enum.Enum):
    NOT_SENT = "not sent"

    def __repr__(self) -> str:
        return "NOT_SENT"

    def __bool__(self) -> bool:
        # A field that was not sent is never mistaken for a truthy value.
        return False


NOT_SENT = NotSent.NOT_SENT


def sent_fields(command: Any) -> dict[str, Any]:
    """The fields of a dataclass command that were sent, by name: the fields that are not `NOT_SENT`."""
    return {
        name: value for name in _names(type(command)) if (value := getattr(command, name)) is not NOT_SENT
    }


_NAMES: dict[type, tuple[str, ...]] = {}


def _names(command_type: type) -> tuple[str, ...]:
    # Read once per type: `fields()` walks the class each time, and an import asks for every row.
    names = _NAMES.get(command_type)
    if names is None:
        names = _NAMES[command_type] = tuple(f.name for f in fields(command_type))
    return names
