"""Idempotency-Key on creates: a retried request replays the first answer instead of creating twice."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from servicekit.messaging_tables import idempotency_keys
from servicekit.problems import Problem


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
