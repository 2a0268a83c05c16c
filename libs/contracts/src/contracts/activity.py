"""Activity events (SPEC §5): each carries the full state of the activity after the change."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from contracts.envelope import EventPayload

ActivityKind = Literal["note", "call", "meeting", "task", "calendar"]
ActivityStatus = Literal["planned", "done"]


class Author(BaseModel):
    """The internal user who logged the activity (from their token)."""

    model_config = ConfigDict(extra="forbid")

    id: str
    name: str | None = None


class ProjectReference(BaseModel):
    """The project in another system (PSA, ERP) that the activity belongs to."""

    model_config = ConfigDict(extra="forbid")

    system: str = Field(min_length=1, max_length=40)
    reference: str = Field(min_length=1, max_length=100)


class ActivityState(BaseModel):
    """A note, call, meeting, task or calendar entry on a customer, as the activity service holds it."""

    model_config = ConfigDict(extra="forbid")

    id: uuid.UUID
    office_id: str
    customer_id: uuid.UUID
    kind: ActivityKind
    subject: str
    body: str | None = None
    author: Author
    contact_ids: list[uuid.UUID] = Field(default_factory=list)
    project: ProjectReference | None = None
    occurred_at: datetime
    due_at: datetime | None = Field(default=None, description="Tasks: when it is due.")
    starts_at: datetime | None = Field(default=None, description="Calendar entries: start.")
    ends_at: datetime | None = Field(default=None, description="Calendar entries: end.")
    status: ActivityStatus | None = Field(default=None, description="Tasks and calendar entries only.")
    done_at: datetime | None = None
    done_by: str | None = None
    created_at: datetime
    created_by: str
    updated_at: datetime
    updated_by: str
    version: int = Field(ge=1)


class ActivityCreated(EventPayload):
    """An activity was logged on a customer."""

    event_type = "activity.created"
    activity: ActivityState


class ActivityUpdated(EventPayload):
    """An activity changed: edited, marked done, or a deleted contact left its contacts."""

    event_type = "activity.updated"
    activity: ActivityState
    changed_fields: list[str] = Field(description="JSON names of the fields this change touched.")


class ActivityDeleted(EventPayload):
    """An activity was deleted, by its author or an admin, or because its customer was."""

    event_type = "activity.deleted"
    activity: ActivityState = Field(description="The last state before deletion.")


ACTIVITY_EVENTS: tuple[type[EventPayload], ...] = (ActivityCreated, ActivityUpdated, ActivityDeleted)
