"""Opaque cursors for keyset pagination: the client hands back what it was given, never an offset."""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Query
from pydantic import BaseModel

from servicekit.problems import InvalidField
from servicekit.storable import unstorable_reason

ItemT = TypeVar("ItemT")


class Page(BaseModel, Generic[ItemT]):
    items: list[ItemT]
    next_cursor: str | None = None


def encode_cursor(position: list[Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(position).encode()).decode().rstrip("=")


CursorPart = type[str] | type[int] | type[uuid.UUID] | type[datetime]


def decode_cursor(cursor: str, parts: Sequence[CursorPart]) -> tuple[Any, ...]:
    """The position a cursor stands for, each part converted to its type; a 422 naming `cursor` when it
    was not one of ours (bad encoding, wrong length, a part of the wrong type, text the database cannot
    store). A cursor that is well formed but edited only moves the page: every list filters by office."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        position = json.loads(base64.urlsafe_b64decode(padded.encode()))
        if not isinstance(position, list) or len(position) != len(parts):
            raise ValueError("wrong shape")
        return tuple(_part(kind, value) for kind, value in zip(parts, position, strict=True))
    except (ValueError, TypeError, UnicodeDecodeError):
        raise InvalidField("cursor", "is not a cursor this list gave out") from None


def _part(kind: CursorPart, value: Any) -> Any:
    if kind is int:
        if type(value) is not int:
            raise TypeError("not an integer")
        return value
    if not isinstance(value, str) or unstorable_reason(value) is not None:
        raise TypeError("not storable text")
    if kind is uuid.UUID:
        return uuid.UUID(value)
    if kind is datetime:
        return datetime.fromisoformat(value)
    return value


CURSOR_MAX_LENGTH = 1000
CURSOR_PATTERN = r"^[A-Za-z0-9_-]*$"
"""URL-safe base64 without padding: what `encode_cursor` gives out (an empty cursor is no cursor)."""

CursorQuery = Annotated[
    str | None,
    Query(
        max_length=CURSOR_MAX_LENGTH,
        pattern=CURSOR_PATTERN,
        description="`next_cursor` of the previous page, as it was given",
    ),
]
