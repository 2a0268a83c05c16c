"""Reading and writing activities in the activity database.

Every read of users goes through `visible_to(office_id)`: an office sees only the activities it logged,
also on a global customer that other offices share.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Row,
    Select,
    and_,
    any_,
    delete,
    func,
    insert,
    literal_column,
    or_,
    select,
    true,
    tuple_,
    update,
)
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.ext.asyncio import AsyncConnection

from activity.adapters.tables import activities
from activity.domain.activity import Activity, Author, ProjectReference
from activity.domain.listing import ActivityQuery
from servicekit.copy_tables import contact_copies, customer_copies

ListPosition = tuple[datetime | None, uuid.UUID]
"""Where a page ended: the sort value (occurred_at, or the schedule, which may be none) and the id."""


@dataclass(frozen=True)
class StoredActivity:
    """An activity with what the answer tells of its customer: whether it is active."""

    activity: Activity
    customer_active: bool


def _to_row(activity: Activity) -> dict[str, Any]:
    row = {k: v for k, v in vars(activity).items() if k not in ("author", "project", "contact_ids")}
    row.update(
        author_id=activity.author.id,
        author_name=activity.author.name,
        contact_ids=list(activity.contact_ids),
        project_system=activity.project.system if activity.project else None,
        project_reference=activity.project.reference if activity.project else None,
    )
    return row


def _from_row(row: Row[Any]) -> Activity:
    values = {column.name: row._mapping[column.name] for column in activities.c}
    author = Author(values.pop("author_id"), values.pop("author_name"))
    system, reference = values.pop("project_system"), values.pop("project_reference")
    contact_ids = tuple(values.pop("contact_ids"))
    return Activity(
        **values,
        author=author,
        project=ProjectReference(system, reference) if system is not None else None,
        contact_ids=contact_ids,
    )


def _stored(row: Row[Any]) -> StoredActivity:
    return StoredActivity(_from_row(row), bool(row.customer_active))


def visible_to(office_id: str) -> Any:
    """Office isolation: an office sees the activities it logged, and no other office's."""
    return activities.c.office_id == office_id


def _with_customer() -> Select[Any]:
    # A customer's copy always exists for its activities (it was checked when they were logged); a
    # missing one is taken as active rather than hiding the activity.
    active = func.coalesce(customer_copies.c.active, true()).label("customer_active")
    joined = activities.outerjoin(customer_copies, customer_copies.c.id == activities.c.customer_id)
    return select(activities, active).select_from(joined)


async def add(session: AsyncConnection, activity: Activity) -> None:
    await session.execute(insert(activities), _to_row(activity))


async def get(
    session: AsyncConnection, activity_id: uuid.UUID, office_id: str, *, for_update: bool = False
) -> StoredActivity | None:
    query = _with_customer().where(activities.c.id == activity_id, visible_to(office_id))
    if for_update:
        query = query.with_for_update(of=activities)
    row = (await session.execute(query)).first()
    return _stored(row) if row is not None else None


async def save(session: AsyncConnection, before: Activity, after: Activity) -> None:
    """Write a changed activity; the caller holds its row lock and has checked the version."""
    await session.execute(
        update(activities)
        .where(and_(activities.c.id == after.id, activities.c.version == before.version))
        .values(**_to_row(after))
    )


async def remove(session: AsyncConnection, activity_ids: Sequence[uuid.UUID]) -> None:
    await session.execute(delete(activities).where(activities.c.id.in_(activity_ids)))


def _scheduled_for() -> Any:
    # A task's due time or a calendar entry's start (each kind has only its own).
    return func.coalesce(activities.c.due_at, activities.c.starts_at)


def _filtered(query: Select[Any], office_id: str, wanted: ActivityQuery) -> Select[Any]:
    query = query.where(visible_to(office_id))
    if wanted.customer_id is not None:
        query = query.where(activities.c.customer_id == wanted.customer_id)
    if wanted.contact_id is not None:
        query = query.where(activities.c.contact_ids.contains([wanted.contact_id]))
    if wanted.kinds:
        query = query.where(activities.c.kind.in_(sorted(wanted.kinds)))
    if wanted.status is not None:
        query = query.where(activities.c.status == wanted.status)
    if wanted.project_system is not None:
        query = query.where(activities.c.project_system == wanted.project_system)
    if wanted.project_reference is not None:
        query = query.where(activities.c.project_reference == wanted.project_reference)
    if wanted.author_id is not None:
        query = query.where(activities.c.author_id == wanted.author_id)
    if wanted.occurred_from is not None:
        query = query.where(activities.c.occurred_at >= wanted.occurred_from)
    if wanted.occurred_to is not None:
        query = query.where(activities.c.occurred_at < wanted.occurred_to)
    return query


async def list_page(
    session: AsyncConnection,
    office_id: str,
    wanted: ActivityQuery,
    after: ListPosition | None,
    limit: int,
) -> list[StoredActivity]:
    """One page of the office's activities that match, in the query's order; `after` is where the
    previous page ended."""
    query = _filtered(_with_customer(), office_id, wanted)
    if wanted.sort == "schedule":
        scheduled = _scheduled_for()
        if after is not None:
            moment, last_id = after
            if moment is None:  # into the unscheduled ones, which come last
                query = query.where(scheduled.is_(None), activities.c.id > last_id)
            else:
                query = query.where(
                    or_(tuple_(scheduled, activities.c.id) > tuple_(moment, last_id), scheduled.is_(None))
                )
        query = query.order_by(scheduled.asc().nulls_last(), activities.c.id.asc())
    else:
        if after is not None:
            query = query.where(tuple_(activities.c.occurred_at, activities.c.id) < tuple_(*after))
        query = query.order_by(activities.c.occurred_at.desc(), activities.c.id.desc())
    rows = (await session.execute(query.limit(limit))).all()
    return [_stored(row) for row in rows]


async def of_customer_for_update(session: AsyncConnection, customer_id: uuid.UUID) -> list[Activity]:
    """Every activity on the customer, of every office, locked: for the cascade of its deletion."""
    query = select(activities).where(activities.c.customer_id == customer_id).order_by(activities.c.id)
    return [_from_row(row) for row in (await session.execute(query.with_for_update())).all()]


async def naming_contact_for_update(session: AsyncConnection, contact_id: uuid.UUID) -> list[Activity]:
    """Every activity that names the contact, locked: for the cascade of its deletion."""
    query = (
        select(activities)
        .where(activities.c.contact_ids.contains([contact_id]))
        .order_by(activities.c.id)
        .with_for_update()
    )
    return [_from_row(row) for row in (await session.execute(query)).all()]


EXPORT_COLUMNS = (
    "id",
    "occurred_at",
    "customer_id",
    "customer_number",
    "customer_name",
    "subject",
    "body",
    "author_id",
    "author_name",
    "contacts",
    "project_system",
    "project_reference",
    "created_at",
    "updated_at",
)
"""The columns of the notes export, in order (also its header line)."""


def _contact_names() -> Any:
    """The names of the activity's contacts, in the order the activity names them."""
    name = contact_copies.c.first_name + " " + contact_copies.c.last_name
    position = func.array_position(activities.c.contact_ids, contact_copies.c.id)
    return (
        select(func.string_agg(name, aggregate_order_by(literal_column("'; '"), position)))
        .where(contact_copies.c.id == any_(activities.c.contact_ids), contact_copies.c.deleted.is_(False))
        .scalar_subquery()
    )


async def notes_for_export(
    session: AsyncConnection,
    office_id: str,
    wanted: ActivityQuery,
    after: tuple[datetime, uuid.UUID] | None,
    limit: int,
) -> list[tuple[Any, ...]]:
    """A batch of the export: notes oldest first (then by id), each as a row of `EXPORT_COLUMNS`."""
    joined = activities.outerjoin(customer_copies, customer_copies.c.id == activities.c.customer_id)
    query: Select[Any] = select(
        activities.c.id,
        activities.c.occurred_at,
        activities.c.customer_id,
        customer_copies.c.customer_number,
        customer_copies.c.name,
        activities.c.subject,
        activities.c.body,
        activities.c.author_id,
        activities.c.author_name,
        _contact_names(),
        activities.c.project_system,
        activities.c.project_reference,
        activities.c.created_at,
        activities.c.updated_at,
    ).select_from(joined)
    query = _filtered(query, office_id, wanted).where(activities.c.kind == "note")
    if after is not None:
        query = query.where(tuple_(activities.c.occurred_at, activities.c.id) > tuple_(*after))
    query = query.order_by(activities.c.occurred_at, activities.c.id).limit(limit)
    return [tuple(row) for row in (await session.execute(query)).all()]
