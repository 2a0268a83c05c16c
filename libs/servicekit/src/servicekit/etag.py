"""Optimistic concurrency over HTTP: the version is the ETag, updates name it in If-Match (RFC 9110).

Our entity tags are a version number in quotes (`"3"`). An If-Match of `*` matches any version. A
well-formed entity tag that is not one of ours (`"abc"`, a list of several) can match no version, so the
change is refused as stale (412); a value that is no entity tag at all is a 400 naming `If-Match`.
"""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import Header

from servicekit.problems import PreconditionFailed, PreconditionRequired, Problem

NO_VERSION = -1
"""What an If-Match that names none of our versions expects: it matches no record."""

_ENTITY_TAG = re.compile(r'(W/)?"([\x21\x23-\x7e]*)"')
_OUR_TAG = re.compile(r"[0-9]{1,9}")

IF_MATCH_DESCRIPTION = 'The ETag of the version you read, e.g. "3" (W/"3" and * are accepted too).'
IfMatch = Annotated[str | None, Header(max_length=200, description=IF_MATCH_DESCRIPTION)]
IF_MATCH_REQUIRED_DESCRIPTION = IF_MATCH_DESCRIPTION + " Required: without it the answer is 428."
IfMatchRequired = Annotated[str | None, Header(max_length=200, description=IF_MATCH_REQUIRED_DESCRIPTION)]


def etag_for(version: int) -> str:
    return f'"{version}"'


def expected_version(if_match: str | None, *, required: bool) -> int | None:
    """The version the client based its change on, from an If-Match header such as `"3"` or `W/"3"`;
    None for `*` or (when not required) no header."""
    value = (if_match or "").strip()
    if not value:
        if required:
            raise PreconditionRequired(
                "Send If-Match with the ETag of the version you changed, so no one else's change is lost."
            )
        return None
    if value == "*":
        return None
    tags = [tag.strip() for tag in value.split(",")]
    matches = [_ENTITY_TAG.fullmatch(tag) for tag in tags]
    if not all(matches):
        raise Problem(
            f'If-Match must be an ETag such as "3", not {if_match!r}.',
            status=400,
            errors=[{"field": "If-Match", "message": 'must be an ETag such as "3"'}],
        )
    ours = [m.group(2) for m in matches if m is not None and _OUR_TAG.fullmatch(m.group(2))]
    return int(ours[0]) if len(tags) == 1 and ours else NO_VERSION


def check_version(current: int, expected: int | None) -> None:
    if expected is None or expected == current:
        return
    if expected == NO_VERSION:
        detail = "If-Match names no version of this record; read it again and send its ETag."
    else:
        detail = (
            f"The record changed since you read it (your version {expected}, now {current}); "
            "read it again and reapply your change."
        )
    raise PreconditionFailed(detail, current_version=current)
