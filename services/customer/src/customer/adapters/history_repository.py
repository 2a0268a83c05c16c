"""The change history of customers: one row per changed field, written in the changing transaction."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, select
from sqlalchemy.ext.asyncio import AsyncConnection

from customer.adapters.tables import customer_history
from customer.domain.history import FieldChange
from servicekit.bulk import insert_many


def lines(
    *,
    customer_id: uuid.UUID,
    office_id: str,
    version: int,
    changed_at: datetime,
    changed_by: str,
    changed_by_name: str | None,
    changes: Sequence[FieldChange],
) -> list[dict[str, Any]]:
    """The history rows of one change, as `write` takes them."""
    return [
        {
            "customer_id": customer_id,
            "office_id": office_id,
            "version": version,
            "changed_at": changed_at,
            "changed_by": changed_by,
            "changed_by_name": changed_by_name,
            "field": change.field,
            "old_value": change.old,
            "new_value": change.new,
        }
        for change in changes
    ]


async def write(session: AsyncConnection, rows: Sequence[dict[str, Any]]) -> None:
    """Insert history rows (of one change or of many) in one statement."""
    await insert_many(session, customer_history, rows)


async def list_page(
    session: AsyncConnection, customer_id: uuid.UUID, before_id: int | None, limit: int
) -> list[Row[Any]]:
    """Newest first; `before_id` is the last row id of the previous page."""
    query = select(customer_history).where(customer_history.c.customer_id == customer_id)
    if before_id is not None:
        query = query.where(customer_history.c.id < before_id)
    return list((await session.execute(query.order_by(customer_history.c.id.desc()).limit(limit))).all())
