"""/v1/customers/{id}/history: every change to the customer, newest first."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel

from customer.adapters import history_repository, repository
from customer.domain.customer import mask_identity_number
from domainkit import NotFound
from servicekit.auth import OfficeUser
from servicekit.deps import SessionDep, Viewer
from servicekit.openapi import responses
from servicekit.pagination import CursorQuery, Page, decode_cursor, encode_cursor

router = APIRouter(prefix="/v1/customers/{customer_id}/history", tags=["history"])


class HistoryEntry(BaseModel):
    version: int
    changed_at: datetime
    changed_by: str
    changed_by_name: str | None
    field: str
    old_value: Any
    new_value: Any


def _entry(row: Any, user: OfficeUser) -> HistoryEntry:
    old, new = row.old_value, row.new_value
    if row.field == "personal_identity_number" and not user.is_admin:
        old, new = mask_identity_number(old), mask_identity_number(new)
    return HistoryEntry(
        version=row.version,
        changed_at=row.changed_at,
        changed_by=row.changed_by,
        changed_by_name=row.changed_by_name,
        field=row.field,
        old_value=old,
        new_value=new,
    )


@router.get("", response_model=Page[HistoryEntry], responses=responses(403, 404, 422, etag=False))
async def customer_history(
    customer_id: uuid.UUID,
    user: Viewer,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    cursor: CursorQuery = None,
) -> Page[HistoryEntry]:
    """Who changed which field when, with the old and the new value."""
    if await repository.get(session, customer_id, user.office_id) is None:
        raise NotFound(f"No customer {customer_id} in your office.")
    before_id = decode_cursor(cursor, (int,))[0] if cursor else None
    rows = await history_repository.list_page(session, customer_id, before_id, limit + 1)
    page = rows[:limit]
    next_cursor = encode_cursor([page[-1].id]) if len(rows) > limit else None
    return Page[HistoryEntry](items=[_entry(r, user) for r in page], next_cursor=next_cursor)
