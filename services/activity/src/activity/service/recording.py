"""What every change of an activity leaves behind: its event with the full state, in the same transaction."""

from __future__ import annotations

from typing import Any

from activity.domain.activity import Activity
from contracts import EventEnvelope, EventPayload
from contracts.activity import ActivityState
from contracts.activity import Author as AuthorState
from contracts.activity import ProjectReference as ProjectState
from servicekit.unit_of_work import UnitOfWork


def to_state(activity: Activity) -> ActivityState:
    """The activity as events and answers carry it."""
    project = activity.project
    return ActivityState(
        id=activity.id,
        office_id=activity.office_id,
        customer_id=activity.customer_id,
        kind=activity.kind,
        subject=activity.subject,
        body=activity.body,
        author=AuthorState(id=activity.author.id, name=activity.author.name),
        contact_ids=list(activity.contact_ids),
        project=ProjectState(system=project.system, reference=project.reference) if project else None,
        occurred_at=activity.occurred_at,
        due_at=activity.due_at,
        starts_at=activity.starts_at,
        ends_at=activity.ends_at,
        status=activity.status,
        done_at=activity.done_at,
        done_by=activity.done_by,
        created_at=activity.created_at,
        created_by=activity.created_by,
        updated_at=activity.updated_at,
        updated_by=activity.updated_by,
        version=activity.version,
    )


def record_event(
    uow: UnitOfWork, event: EventPayload, activity: Activity, *, caused_by: EventEnvelope[Any] | None = None
) -> None:
    """Record the event of a change that brought `activity` to its version (a cascade names the event
    that caused it)."""
    uow.record(
        event,
        office_id=activity.office_id,
        aggregate_id=activity.id,
        aggregate_version=activity.version,
        caused_by=caused_by,
    )
