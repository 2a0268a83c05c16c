"""What an operation's OpenAPI entry says it can answer: every status, as a problem document, and the
headers of its successful answers. Routes list their statuses with `responses(...)`; 401 is always there,
since every route behind a token can answer it.
"""

from __future__ import annotations

from typing import Any

from servicekit.errors import PROBLEM_JSON
from servicekit.idempotency import REPLAYED_HEADER

PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["field", "message"],
                "properties": {"field": {"type": "string"}, "message": {"type": "string"}},
            },
        },
    },
    "additionalProperties": True,
}

_MEANINGS = {
    400: "A header that is not well formed (e.g. If-Match that is no entity tag).",
    401: "No bearer token, or one that is expired, badly signed or missing exp, iat or sub.",
    403: "The caller's kind or role does not allow this.",
    404: "Nothing with this id where the caller may see it.",
    409: "The request clashes with the current state (a number taken, a record in use).",
    412: "If-Match names a version that is no longer the current one.",
    422: "A field or parameter is invalid; `errors` names each one.",
    428: "If-Match is required and missing.",
}

_ETAG = {"ETag": {"description": 'The version of the record, e.g. "3".', "schema": {"type": "string"}}}
_LOCATION = {"Location": {"description": "Where the new record is.", "schema": {"type": "string"}}}
_REPLAYED = {
    REPLAYED_HEADER: {
        "description": "true when this is the stored answer to an earlier request with the same key.",
        "schema": {"type": "string", "enum": ["true"]},
    }
}
_WWW_AUTHENTICATE = {
    "WWW-Authenticate": {"description": "The scheme to use: Bearer.", "schema": {"type": "string"}}
}


def problem(status: int, description: str | None = None) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "description": description or _MEANINGS[status],
        "content": {PROBLEM_JSON: {"schema": PROBLEM_SCHEMA}},
    }
    if status == 401:
        entry["headers"] = _WWW_AUTHENTICATE
    return entry


def responses(
    *statuses: int,
    success: tuple[int, ...] = (200,),
    etag: bool = True,
    idempotent: bool = False,
    model: type[Any] | None = None,
) -> dict[int | str, dict[str, Any]]:
    """The `responses=` of a route: 401 and the given error statuses as problem documents, and the
    headers of each success status (ETag; Location on a 201; Idempotent-Replayed when the route takes an
    Idempotency-Key). `model` describes the body of a success status other than the route's own."""
    answers: dict[int | str, dict[str, Any]] = {status: problem(status) for status in (401, *statuses)}
    for status in success:
        headers = {**(_ETAG if etag else {}), **(_LOCATION if status == 201 else {})}
        if idempotent:
            headers |= _REPLAYED
        answers[status] = {"headers": headers} if headers else {}
        if model is not None:
            answers[status]["model"] = model
    return answers
