"""RFC 9457 problem details: every error answer of every service has this one shape, made here only.

Validation errors name each offending field in ``errors`` (``field`` is a dotted path such as
``addresses.0.country``) and in ``detail``, so a client can show the message beside the field.

Three sources of errors meet here: the kit's own `Problem`s (tokens, If-Match, cursors), request
validation, and the domain's `domainkit` errors, whose kind decides the status (``DOMAIN_ERROR_STATUS``).
Anything else is a bug: a 500 that says nothing of the cause and asks the client to close the connection,
since the server drops it after such an error.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import iter_route_contexts
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from domainkit import Conflict, DomainError, InvalidField, NotAllowed, NotFound
from servicekit.problems import Problem

PROBLEM_JSON = "application/problem+json"
log = logging.getLogger(__name__)

DOMAIN_ERROR_STATUS: dict[type[DomainError], tuple[int, str]] = {
    NotFound: (404, "Not found"),
    Conflict: (409, "Conflict"),
    NotAllowed: (403, "Forbidden"),
    InvalidField: (422, "Validation failed"),
    DomainError: (400, "Bad request"),
}
"""The status and title each kind of domain refusal is answered with."""


def problem_response(
    status: int,
    title: str,
    detail: str,
    request: Request,
    errors: list[dict[str, str]] | None = None,
    headers: dict[str, str] | None = None,
    extensions: Mapping[str, Any] | None = None,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": title,
        "status": status,
        "detail": detail,
        "instance": request.url.path,
    }
    if errors:
        body["errors"] = errors
    body.update(extensions or {})
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _field_path(loc: tuple[int | str, ...]) -> str:
    # FastAPI prefixes the location with where the value came from ("body", "query", ...).
    parts = [str(p) for p in loc]
    if parts and parts[0] in {"body", "query", "path", "header", "cookie"}:
        parts = parts[1:]
    return ".".join(parts) or "body"


def install_problem_handlers(app: FastAPI) -> None:
    @app.exception_handler(Problem)
    async def _problem(request: Request, exc: Problem) -> JSONResponse:
        return problem_response(
            exc.status, exc.title, exc.detail, request, exc.errors, exc.headers, exc.extensions
        )

    @app.exception_handler(DomainError)
    async def _domain(request: Request, exc: DomainError) -> JSONResponse:
        status, title = domain_status(exc)
        return problem_response(status, title, exc.detail, request, exc.errors, extensions=exc.extensions)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [{"field": _field_path(tuple(e["loc"])), "message": e["msg"]} for e in exc.errors()]
        detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
        return problem_response(422, "Validation failed", detail, request, errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        headers = dict(exc.headers) if exc.headers else None
        if exc.status_code == 405:
            headers = {**(headers or {}), "Allow": allowed_methods(request)}
        return problem_response(
            exc.status_code, _reason(exc.status_code), str(exc.detail), request, None, headers
        )

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error")
        return problem_response(
            500,
            "Internal error",
            "An unexpected error occurred.",
            request,
            headers={"Connection": "close"},
        )


def allowed_methods(request: Request) -> str:
    """Every method some route takes at this path. Starlette's 405 names only the methods of the first
    route on the path, and FastAPI makes one route per method (RFC 9110 wants them all in `Allow`).
    FastAPI keeps the routes of an included router inside it, so they are walked with its
    `iter_route_contexts`, which yields each route as the app serves it (prefix included)."""
    methods: set[str] = set()
    for route in iter_route_contexts(request.app.router.routes):
        if route.methods and route.matches(request.scope)[0] != Match.NONE:
            methods |= route.methods
    return ", ".join(sorted(methods))


def domain_status(error: DomainError) -> tuple[int, str]:
    """The status and title of a domain error: those of the nearest kind it descends from."""
    return next(DOMAIN_ERROR_STATUS[kind] for kind in type(error).__mro__ if kind in DOMAIN_ERROR_STATUS)


def _reason(status: int) -> str:
    from http import HTTPStatus

    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"
