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
    return {f.name: value for f in fields(command) if (value := getattr(command, f.name)) is not NOT_SENT}
