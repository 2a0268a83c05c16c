"""The activity and the rules it keeps whoever changes it (SPEC §5).

An activity is something that happened, or is to happen, with a customer: a `note`, a `call`, a `meeting`,
a `task` (a to-do) or a `calendar` entry. Tasks and calendar entries are planned work, so they alone carry
a schedule and a status: a task may have a due time, a calendar entry has a start (and may have an end,
never before its start), and both are `planned` until someone marks them `done`, which records who and
when. Reopening a done one (back to `planned`) forgets who and when, as moving a card back on a board does.
The kind and the customer are fixed once logged: a note does not become a meeting, it is logged anew.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Literal

from domainkit import InvalidField, NotAllowed

ActivityKind = Literal["note", "call", "meeting", "task", "calendar"]
Status = Literal["planned", "done"]

KINDS: tuple[ActivityKind, ...] = ("note", "call", "meeting", "task", "calendar")
SCHEDULED_KINDS: frozenset[str] = frozenset({"task", "calendar"})
"""The kinds that are planned work: they have a status (and a due time or a start)."""

MAX_SUBJECT_LENGTH = 300
MAX_BODY_LENGTH = 20_000
MAX_CONTACTS = 50


@dataclass(frozen=True)
class Author:
    """The internal user who logged the activity, as their token named them."""

    id: str
    name: str | None


@dataclass(frozen=True)
class ProjectReference:
    """The project (or order) in another system that the activity belongs to."""

    system: str
    reference: str


@dataclass(frozen=True)
class Activity:
    id: uuid.UUID
    office_id: str
    customer_id: uuid.UUID
    kind: ActivityKind
    subject: str
    author: Author
    occurred_at: datetime
    created_at: datetime
    created_by: str
    updated_at: datetime
    updated_by: str
    body: str | None = None
    contact_ids: tuple[uuid.UUID, ...] = ()
    project: ProjectReference | None = None
    due_at: datetime | None = None
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    status: Status | None = None
    done_at: datetime | None = None
    done_by: str | None = None
    version: int = 1

    @property
    def scheduled_for(self) -> datetime | None:
        """When the planned work is due or starts: what the planned view is ordered by."""
        return self.due_at if self.kind == "task" else self.starts_at


EDITABLE_FIELDS = frozenset(
    {"subject", "body", "contact_ids", "project", "occurred_at", "due_at", "starts_at", "ends_at", "status"}
)
"""What an edit may change; `done_at` and `done_by` follow from `status`."""


def new_activity(
    *,
    office_id: str,
    customer_id: uuid.UUID,
    kind: ActivityKind,
    subject: str,
    author: Author,
    now: datetime,
    occurred_at: datetime | None = None,
    status: Status | None = None,
    **details: Any,
) -> Activity:
    """A new activity; `occurred_at` defaults to now, and the status of planned work to `planned`."""
    if status is not None and kind not in SCHEDULED_KINDS:
        raise _status_not_for(kind)
    if status is None and kind in SCHEDULED_KINDS:
        status = "planned"
    activity = Activity(
        id=uuid.uuid4(),
        office_id=office_id,
        customer_id=customer_id,
        kind=kind,
        subject=subject,
        author=author,
        occurred_at=occurred_at or now,
        created_at=now,
        created_by=author.id,
        updated_at=now,
        updated_by=author.id,
        status=status,
        done_at=now if status == "done" else None,
        done_by=author.id if status == "done" else None,
        **details,
    )
    check_rules(activity)
    return activity


def check_rules(activity: Activity) -> None:
    """Rules every activity obeys, whichever way it was changed."""
    if not activity.subject.strip():
        raise InvalidField("subject", "must not be blank")
    if len(activity.subject) > MAX_SUBJECT_LENGTH:
        raise InvalidField("subject", f"must be at most {MAX_SUBJECT_LENGTH} characters")
    if activity.body is not None and len(activity.body) > MAX_BODY_LENGTH:
        raise InvalidField("body", f"must be at most {MAX_BODY_LENGTH} characters")
    if len(activity.contact_ids) > MAX_CONTACTS:
        raise InvalidField("contact_ids", f"must name at most {MAX_CONTACTS} contacts")
    if len(set(activity.contact_ids)) != len(activity.contact_ids):
        raise InvalidField("contact_ids", "must name each contact once")
    check_times(activity)
    check_status(activity)


def check_times(activity: Activity) -> None:
    """Times carry their zone; a due time is a task's, a start and end a calendar entry's; an entry
    starts, and ends no earlier than it starts."""
    for name in ("occurred_at", "due_at", "starts_at", "ends_at", "done_at"):
        moment = getattr(activity, name)
        if moment is not None and moment.utcoffset() is None:
            raise InvalidField(name, "must carry a time zone, e.g. 2026-12-01T09:00:00+01:00")
    if activity.due_at is not None and activity.kind != "task":
        raise InvalidField("due_at", "only tasks have a due time")
    for name in ("starts_at", "ends_at"):
        if getattr(activity, name) is not None and activity.kind != "calendar":
            raise InvalidField(name, "only calendar entries have a start and an end")
    if activity.kind == "calendar" and activity.starts_at is None:
        raise InvalidField("starts_at", "is required for a calendar entry")
    if (
        activity.starts_at is not None
        and activity.ends_at is not None
        and activity.ends_at < activity.starts_at
    ):
        raise InvalidField("ends_at", "must not be before starts_at")


def check_status(activity: Activity) -> None:
    """Planned work has a status, everything else none; `done` records who and when, `planned` neither."""
    if activity.kind not in SCHEDULED_KINDS:
        if activity.status is not None:
            raise _status_not_for(activity.kind)
        return
    if activity.status not in ("planned", "done"):
        raise InvalidField("status", "must be planned or done")
    is_done = activity.status == "done"
    if is_done != (activity.done_at is not None) or is_done != (activity.done_by is not None):
        raise InvalidField("status", "done_at and done_by are set exactly when the status is done")


def _status_not_for(kind: str) -> InvalidField:
    return InvalidField("status", f"only tasks and calendar entries have a status, not a {kind}")


def apply_changes(
    activity: Activity, changes: dict[str, Any], *, changed_by: str, now: datetime
) -> tuple[Activity, list[str]]:
    """The activity with `changes` applied, and the names of the fields whose value really changed.

    Marking done records `done_at` (now) and `done_by`; marking planned again clears them. Nothing that
    really changed means no new version: an identical edit is a no-op.
    """
    unknown = set(changes) - EDITABLE_FIELDS
    if unknown:
        raise InvalidField(sorted(unknown)[0], "cannot be changed; the kind and the customer are fixed")
    if "status" in changes and activity.kind not in SCHEDULED_KINDS:
        raise _status_not_for(activity.kind)
    values = {name: value for name, value in changes.items() if getattr(activity, name) != value}
    if "status" in values:
        done = values["status"] == "done"
        values["done_at"] = now if done else None
        values["done_by"] = changed_by if done else None
    if not values:
        return activity, []
    updated = replace(activity, **values, updated_at=now, updated_by=changed_by, version=activity.version + 1)
    check_rules(updated)
    return updated, sorted(values)


def without_contact(
    activity: Activity, contact_id: uuid.UUID, *, changed_by: str, now: datetime
) -> tuple[Activity, list[str]]:
    """The activity without a contact that was deleted; it stays otherwise as it was."""
    if contact_id not in activity.contact_ids:
        return activity, []
    remaining = tuple(c for c in activity.contact_ids if c != contact_id)
    return apply_changes(activity, {"contact_ids": remaining}, changed_by=changed_by, now=now)


def mark_deleted(activity: Activity, *, changed_by: str, now: datetime) -> Activity:
    """The last state, as the `activity.deleted` event carries it: one version past the last change."""
    return replace(activity, updated_at=now, updated_by=changed_by, version=activity.version + 1)


def check_may_change(activity: Activity, *, user_id: str, is_admin: bool) -> None:
    """Only the author edits or deletes an activity, or an office admin of its office."""
    if activity.author.id != user_id and not is_admin:
        raise NotAllowed(
            "Only the author of an activity or an office admin may change or delete it.",
            permission="change_others_activities",
        )
