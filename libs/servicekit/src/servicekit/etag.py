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

_OWS = r"[ \t]*"
_ENTITY_TAG = r'(?:W/)?"([\x21\x23-\x7e]*)"'
_TAG_LIST = rf"{_ENTITY_TAG}(?:{_OWS},{_OWS}{_ENTITY_TAG})*"
IF_MATCH_PATTERN = rf"^(?:\*|{_TAG_LIST})$"
"""What If-Match may hold (RFC 9110): `*` or entity tags separated by commas (HTTP strips the blanks around
a header value). Stated in the OpenAPI document; a value outside it is the 400 of `expected_version`, which
reads it with this same pattern."""
_OPTIONAL_IF_MATCH_PATTERN = rf"^(?:\*|{_TAG_LIST})?$"
_ONE_TAG = re.compile(_ENTITY_TAG)
_OUR_TAG = re.compile(r"[0-9]{1,9}")

IF_MATCH_DESCRIPTION = 'The ETag of the version you read, e.g. "3" (W/"3" and * are accepted too).'
IfMatch = Annotated[
    str | None,
    Header(
        max_length=200,
        description=IF_MATCH_DESCRIPTION + " An empty value is no value.",
        json_schema_extra={"pattern": _OPTIONAL_IF_MATCH_PATTERN},
    ),
]
IF_MATCH_REQUIRED_DESCRIPTION = IF_MATCH_DESCRIPTION + " Required: without it the answer is 428."
IfMatchRequired = Annotated[
    str | None,
    Header(
        max_length=200,
        description=IF_MATCH_REQUIRED_DESCRIPTION,
        json_schema_extra={"pattern": IF_MATCH_PATTERN},
    ),
]
"""Documented as required (`servicekit.openapi` marks If-Match required where 428 is documented), but read
as optional here so that leaving it out is our 428, not FastAPI's 422."""


def etag_for(version: int) -> str:
    return f'"{version}"'


def expected_version(if_match: str | None, *, required: bool) -> int | None:
    """The version the client based its change on, from an If-Match header such as `"3"` or `W/"3"`;
    None for `*` or (when not required) no header."""
    value = (if_match or "").strip(" \t")
    if not value:
        if required:
            raise PreconditionRequired(
                "Send If-Match with the ETag of the version you changed, so no one else's change is lost."
            )
        return None
    if value == "*":
        return None
    if re.fullmatch(IF_MATCH_PATTERN, value) is None:
        raise Problem(
            f'If-Match must be an ETag such as "3", not {if_match!r}.',
            status=400,
            errors=[{"field": "If-Match", "message": 'must be an ETag such as "3"'}],
        )
    tags = [match.group(1) for match in _ONE_TAG.finditer(value)]
    return int(tags[0]) if len(tags) == 1 and _OUR_TAG.fullmatch(tags[0]) else NO_VERSION


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
