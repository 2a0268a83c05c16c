"""Reading activities: one, a page of a list, and the batches of the notes export.

A customer or contact named in a filter must be one the caller's office sees (404 otherwise, as for a
path), looked up in this service's copies and read once from its owner when its event has not arrived.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from activity.adapters import repository
from activity.adapters.repository import ListPosition, StoredActivity
from activity.domain.listing import ActivityQuery
from domainkit import NotFound
from servicekit.db import SessionFactory
from servicekit.local_copies import LocalCopies

EXPORT_BATCH_SIZE = 500
"""Notes read per query of an export: the most an export holds in memory at once."""


async def get_activity(session: AsyncConnection, activity_id: uuid.UUID, office_id: str) -> StoredActivity:
    stored = await repository.get(session, activity_id, office_id)
    if stored is None:
        raise NotFound(f"No activity {activity_id} in your office.")
    return stored


async def check_filters(
    session: AsyncConnection, copies: LocalCopies, office_id: str, wanted: ActivityQuery
) -> None:
    """404 when the query names a customer or contact the office does not see. Its own short
    transaction, so a customer or contact read from its owner is kept in the copy."""
    async with session.begin():
        if (
            wanted.customer_id is not None
            and await copies.customer(session, wanted.customer_id, office_id) is None
        ):
            raise NotFound(f"No customer {wanted.customer_id} in your office.")
        if (
            wanted.contact_id is not None
            and await copies.contact(session, wanted.contact_id, office_id) is None
        ):
            raise NotFound(f"No contact {wanted.contact_id} in your office.")


async def list_activities(
    session: AsyncConnection,
    copies: LocalCopies,
    office_id: str,
    wanted: ActivityQuery,
    after: ListPosition | None,
    limit: int,
) -> list[StoredActivity]:
    await check_filters(session, copies, office_id, wanted)
    return await repository.list_page(session, office_id, wanted, after, limit)


async def exported_notes(
    sessions: SessionFactory, office_id: str, wanted: ActivityQuery
) -> AsyncIterator[list[tuple[Any, ...]]]:
    """The notes of the export, a batch at a time, each batch read on a connection of its own: a slow
    download holds no connection or transaction between batches. Keyset on (occurred_at, id), so each
    note that exists throughout the export is in it exactly once."""
    after: tuple[datetime, uuid.UUID] | None = None
    while True:
        async with sessions() as session:
            rows = await repository.notes_for_export(session, office_id, wanted, after, EXPORT_BATCH_SIZE)
        if rows:
            yield rows
        if len(rows) < EXPORT_BATCH_SIZE:
            return
        after = (rows[-1][1], rows[-1][0])
