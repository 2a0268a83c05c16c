"""Idempotency-Key: a retried request replays the first answer instead of doing the work twice.

The key is scoped to the caller (an office, a portal user, a service), and bound to the request it first
came with: the same key with another method, path or body is a 422. `servicekit.transactions.answer_once`
uses what is here inside its one transaction.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Header, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from servicekit.auth import CustomerUser, OfficeUser, Principal
from servicekit.db import hold_lock
from servicekit.deps import CurrentPrincipal
from servicekit.messaging_tables import idempotency_keys
from servicekit.problems import InvalidField

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
KEY_PATTERN = r"^[\x21-\x7e]{1,200}$"
"""Printable ASCII without spaces, at most 200 characters (a UUID is the usual choice)."""
_KEPT_HEADERS = frozenset({"etag", "location"})


@dataclass(frozen=True)
class IdempotentRequest:
    scope: str
    """Whose keys these are: an office's users share the office's keys."""
    key: str
    fingerprint: str
    """What the request asked for; the same key with a different request is refused."""


@dataclass(frozen=True)
class StoredResponse:
    status_code: int
    body: Any
    headers: dict[str, str]


def key_scope(principal: Principal) -> str:
    if isinstance(principal, OfficeUser):
        return principal.office_id
    if isinstance(principal, CustomerUser):
        return f"customer-user:{principal.subject}"
    return f"service:{principal.subject}"


def fingerprint(method: str, path: str, body: bytes) -> str:
    """A digest of the request; JSON bodies are compared by content, not by spacing or key order."""
    try:
        canonical: Any = json.loads(body) if body else None
    except ValueError:
        canonical = body.hex()
    text_form = json.dumps([method, path, canonical], sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text_form.encode()).hexdigest()


async def get_idempotent_request(
    request: Request,
    principal: CurrentPrincipal,
    idempotency_key: Annotated[
        str | None,
        Header(
            alias=HEADER,
            pattern=KEY_PATTERN,
            description="Any unique string (a UUID): a repeated request with the same key and body "
            "answers as the first did, with `Idempotent-Replayed: true`.",
        ),
    ] = None,
) -> IdempotentRequest | None:
    if idempotency_key is None:
        return None
    body = await request.body()  # read once by FastAPI already; Starlette keeps it
    return IdempotentRequest(
        scope=key_scope(principal),
        key=idempotency_key,
        fingerprint=fingerprint(request.method, request.url.path, body),
    )


IdempotencyDep = Annotated[IdempotentRequest | None, Depends(get_idempotent_request)]


async def wait_for_twins(session: AsyncConnection, request: IdempotentRequest) -> None:
    """Hold the key for this transaction: a twin request with the same key waits here until this one
    commits (and then finds its answer) or rolls back (and then does the work itself)."""
    await hold_lock(session, f"idempotency:{request.scope}:{request.key}")


async def stored_response(session: AsyncConnection, request: IdempotentRequest) -> StoredResponse | None:
    row = (
        await session.execute(
            select(idempotency_keys).where(
                idempotency_keys.c.office_id == request.scope, idempotency_keys.c.key == request.key
            )
        )
    ).first()
    if row is None:
        return None
    if row.request_fingerprint != request.fingerprint:
        raise InvalidField(HEADER, "was already used for a different request")
    return StoredResponse(row.status_code, row.response, dict(row.headers))


async def remember(session: AsyncConnection, request: IdempotentRequest, response: Response) -> None:
    """Store the answer in the transaction that did the work, so both commit or neither does."""
    headers = {k: v for k, v in response.headers.items() if k.lower() in _KEPT_HEADERS}
    await session.execute(
        idempotency_keys.insert().values(
            office_id=request.scope,
            key=request.key,
            request_fingerprint=request.fingerprint,
            status_code=response.status_code,
            response=json.loads(bytes(response.body)),
            headers=headers,
        )
    )


def replay(stored: StoredResponse) -> JSONResponse:
    headers = {**stored.headers, REPLAYED_HEADER: "true"}
    return JSONResponse(stored.body, status_code=stored.status_code, headers=headers)
