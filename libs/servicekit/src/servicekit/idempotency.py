"""Idempotency-Key on creates: a retried request replays the first answer instead of creating twice."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from fastapi.responses import JSONResponse
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from servicekit.messaging_tables import idempotency_keys
from servicekit.problems import Problem
from servicekit.unit_of_work import UnitOfWork

CreatedT = TypeVar("CreatedT")
CreatedHook = Callable[[CreatedT], Awaitable[None]]
REPLAYED_HEADER = "Idempotent-Replayed"
_KEPT_HEADERS = frozenset({"etag", "location"})


@dataclass(frozen=True)
class StoredResponse:
    status_code: int
    body: Any
    headers: dict[str, str]


def fingerprint(method: str, path: str, body: Any) -> str:
    canonical = json.dumps([method, path, body], sort_keys=True, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


async def find_response(
    session: AsyncSession, office_id: str, key: str, request_fingerprint: str
) -> StoredResponse | None:
    row = (
        await session.execute(
            select(idempotency_keys).where(
                idempotency_keys.c.office_id == office_id, idempotency_keys.c.key == key
            )
        )
    ).first()
    if row is None:
        return None
    if row.request_fingerprint != request_fingerprint:
        raise Problem(
            "This Idempotency-Key was already used for a different request.",
            status=422,
            errors=[{"field": "Idempotency-Key", "message": "already used for a different request"}],
        )
    return StoredResponse(row.status_code, row.response, dict(row.headers))


async def remember_response(
    session: AsyncSession,
    office_id: str,
    key: str,
    request_fingerprint: str,
    response: StoredResponse,
) -> None:
    """Store the answer in the creating transaction. A concurrent request with the same key makes
    this insert fail on the primary key, which rolls back that request's create."""
    await session.execute(
        idempotency_keys.insert().values(
            office_id=office_id,
            key=key,
            request_fingerprint=request_fingerprint,
            status_code=response.status_code,
            response=response.body,
            headers=response.headers,
        )
    )


async def answer_once(
    *,
    key: str | None,
    office_id: str,
    fingerprint: str,
    uow: UnitOfWork,
    session_factory: async_sessionmaker[AsyncSession],
    create: Callable[[CreatedHook[CreatedT] | None], Awaitable[CreatedT]],
    answer: Callable[[CreatedT], JSONResponse],
    race_errors: tuple[type[Exception], ...] = (IntegrityError,),
) -> JSONResponse:
    """Run a create at most once per Idempotency-Key and answer every repeat as the first time.

    `create(hook)` runs the use case in `uow` and calls `hook(created)` inside its transaction, where the
    answer is stored with the record, so both commit or neither does. Without a key it just creates.
    A concurrent twin that wins the race makes ours fail with one of `race_errors` and roll back; the
    twin's stored answer is then replayed.
    """
    if key is None:
        return answer(await create(None))
    if (stored := await _stored(session_factory, office_id, key, fingerprint)) is not None:
        return _replay(stored)

    async def remember(created: CreatedT) -> None:
        response = answer(created)
        headers = {k: v for k, v in response.headers.items() if k.lower() in _KEPT_HEADERS}
        stored = StoredResponse(response.status_code, json.loads(bytes(response.body)), headers)
        await remember_response(uow.session, office_id, key, fingerprint, stored)

    try:
        created = await create(remember)
    except race_errors:
        if (stored := await _stored(session_factory, office_id, key, fingerprint)) is None:
            raise
        return _replay(stored)
    return answer(created)


async def _stored(
    session_factory: async_sessionmaker[AsyncSession], office_id: str, key: str, fingerprint: str
) -> StoredResponse | None:
    async with session_factory() as session:
        return await find_response(session, office_id, key, fingerprint)


def _replay(stored: StoredResponse) -> JSONResponse:
    headers = {**stored.headers, REPLAYED_HEADER: "true"}
    return JSONResponse(stored.body, status_code=stored.status_code, headers=headers)
