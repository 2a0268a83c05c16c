"""Text PostgreSQL cannot store is refused at the door, on every endpoint of every service.

PostgreSQL's `text` and `jsonb` hold neither the NUL character nor unpaired UTF-16 surrogates, and JSON can
carry both (`"\\u0000"`, `"\\ud800"`). Let through, they fail deep in the database as a 500. This check runs
before any route (an app-wide dependency) and answers 422 naming the first offending field, whether it sits
in the JSON body (keys included), the query string or the path.
"""

from __future__ import annotations

import json
import re
from typing import Any

from fastapi import Request

from servicekit.problems import InvalidField

# Only a JSON escape can bring these in: raw control characters and raw surrogates are invalid JSON.
_SUSPECT_ESCAPE = re.compile(rb"\\u(0000|[dD][89a-fA-F][0-9a-fA-F]{2})")


def unstorable_reason(text: str) -> str | None:
    """Why PostgreSQL could not store `text`, or None when it can."""
    if "\x00" in text:
        return "must not contain the NUL character"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "must be valid Unicode text (it holds an unpaired surrogate)"
    return None


def find_unstorable(value: Any, path: str = "") -> tuple[str, str] | None:
    """The dotted path of the first string (or key) in a JSON value that cannot be stored, and why."""
    if isinstance(value, str):
        reason = unstorable_reason(value)
        return (path or "body", reason) if reason else None
    if isinstance(value, dict):
        for key, item in value.items():
            field = f"{path}.{key}" if path else str(key)
            if (reason := unstorable_reason(key)) is not None:
                # The key is named escaped (`\x00`), so the answer itself stays storable and printable.
                printable = key.encode("unicode_escape").decode()
                return (f"{path}.{printable}" if path else printable), f"key {reason}"
            if (found := find_unstorable(item, field)) is not None:
                return found
    if isinstance(value, list):
        for position, item in enumerate(value):
            if (found := find_unstorable(item, f"{path}.{position}" if path else str(position))) is not None:
                return found
    return None


_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


async def refuse_unstorable_text(request: Request) -> None:
    """App-wide dependency: 422 naming the field for text the database could not store."""
    for source in (request.path_params, request.query_params):
        for name, value in source.items():
            # A path convertor (`{id:uuid}`, `{n:int}`) hands over its value already converted.
            if isinstance(value, str) and (reason := unstorable_reason(value)) is not None:
                raise InvalidField(name, reason)
    if request.headers.get("content-type", "").startswith(_FORM_TYPES):
        # A form (the portal's pages) is parsed once, by the route's Form fields; its parse is kept.
        for name, value in (await request.form()).multi_items():
            if isinstance(value, str) and (reason := unstorable_reason(value)) is not None:
                raise InvalidField(name, reason)
        return
    body = await request.body()
    if not _SUSPECT_ESCAPE.search(body):
        return
    try:
        parsed = json.loads(body)
    except ValueError:
        return  # not JSON: the route's own validation answers
    if (found := find_unstorable(parsed)) is not None:
        raise InvalidField(*found)
