"""What an operation's OpenAPI entry says it can answer: every status, as a problem document, and the
headers of its successful answers. Routes list their statuses with `responses(...)`; 401 is always there,
since every route behind a token can answer it.

`complete_document` then states, for every service at once, what FastAPI's generated document gets wrong
or leaves out (a test fuzzes each service against its document with schemathesis, so a gap shows):

- FastAPI's own 422 for a bad parameter or body is documented as `application/json` with its own shape;
  ours is a problem document like every other error.
- A body that is not UTF-8 JSON is a 400 (FastAPI answers it before validation), on every operation that
  takes a body.
- An optional header or query parameter typed `X | None` is documented as "X or null", but HTTP has no
  null: absent is how a client leaves it out, so the null branch goes.
- An operation that answers 428 without If-Match requires If-Match: the document says so, and the 428
  (not a 422) is what a client that leaves it out gets.
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
    400: "A header or body that is not well formed (If-Match that is no entity tag, a body that is not "
    "UTF-8 JSON).",
    401: "No bearer token, or one that is expired, badly signed or missing exp, iat or sub.",
    403: "The caller's kind or role does not allow this.",
    404: "Nothing with this id where the caller may see it.",
    409: "The request clashes with the current state (a number taken, a record in use).",
    412: "If-Match names a version that is no longer the current one.",
    422: "A field or parameter is invalid; `errors` names each one.",
    428: "If-Match is required and missing.",
    429: "Too many attempts (a login throttle); try again after Retry-After seconds.",
    503: "A service this request needs could not be reached; try again after Retry-After seconds.",
}

_ETAG = {"ETag": {"description": 'The version of the record, e.g. "3".', "schema": {"type": "string"}}}
_LOCATION = {"Location": {"description": "Where the new record is.", "schema": {"type": "string"}}}
_REPLAYED = {
    REPLAYED_HEADER: {
        "description": "true when this is the stored answer to an earlier request with the same key.",
        "schema": {"type": "string", "enum": ["true"]},
    }
}
_RETRY_AFTER = {
    "Retry-After": {"description": "Seconds to wait before trying again.", "schema": {"type": "string"}}
}
_WWW_AUTHENTICATE = {
    "WWW-Authenticate": {"description": "The scheme to use: Bearer.", "schema": {"type": "string"}}
}


def problem(status: int, description: str | None = None) -> dict[str, Any]:
    """The OpenAPI entry of an error status: a problem document (with the Bearer challenge on a 401)."""
    entry: dict[str, Any] = {
        "description": description or _MEANINGS[status],
        "content": {PROBLEM_JSON: {"schema": PROBLEM_SCHEMA}},
    }
    if status == 401:
        entry["headers"] = _WWW_AUTHENTICATE
    if status == 503:
        entry["headers"] = _RETRY_AFTER
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


_NOT_BODY = frozenset({"path", "query", "header", "cookie"})


def complete_document(document: dict[str, Any]) -> dict[str, Any]:
    """`document` (FastAPI's OpenAPI document of a service) made to state what the service really does; see
    the module docstring. Changes it in place and returns it."""
    for item in document.get("paths", {}).values():
        for operation in item.values():
            answers: dict[str, Any] = operation.setdefault("responses", {})
            parameters: list[dict[str, Any]] = operation.get("parameters", [])
            for parameter in parameters:
                if parameter.get("in") in _NOT_BODY:
                    parameter["schema"] = _without_null(parameter.get("schema", {}))
                if (
                    "428" in answers
                    and parameter.get("in") == "header"
                    and parameter["name"].lower() == "if-match"
                ):
                    parameter["required"] = True
            if "requestBody" in operation:
                answers.setdefault("400", problem(400))
            if parameters or "requestBody" in operation:
                answers["422"] = problem(422)
    schemas = document.get("components", {}).get("schemas", {})
    for unused in ("HTTPValidationError", "ValidationError"):
        schemas.pop(unused, None)
    return document


def _without_null(schema: dict[str, Any]) -> dict[str, Any]:
    branches = schema.get("anyOf")
    if not isinstance(branches, list):
        return schema
    kept = [branch for branch in branches if branch != {"type": "null"}]
    if len(kept) != 1 or len(kept) == len(branches):
        return schema
    # A null default is "absent" too.
    rest = {
        key: value
        for key, value in schema.items()
        if key != "anyOf" and not (key == "default" and value is None)
    }
    return {**kept[0], **rest}
