"""Opaque cursors for keyset pagination: the client hands back what it was given, never an offset."""

from __future__ import annotations

import base64
import json
from typing import Any, Generic, TypeVar

from pydantic import BaseModel

from servicekit.problems import InvalidField

ItemT = TypeVar("ItemT")


class Page(BaseModel, Generic[ItemT]):
    items: list[ItemT]
    next_cursor: str | None = None


def encode_cursor(position: list[Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(position).encode()).decode().rstrip("=")


def decode_cursor(cursor: str, length: int) -> list[Any]:
    """The position a cursor stands for; a 422 naming `cursor` when it was not one of ours."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        position = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, UnicodeDecodeError):
        raise InvalidField("cursor", "is not a cursor this list gave out") from None
    if not isinstance(position, list) or len(position) != length:
        raise InvalidField("cursor", "is not a cursor this list gave out")
    return position
