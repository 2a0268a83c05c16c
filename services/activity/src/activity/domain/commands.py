"""What a caller asks of the activity log: the typed inputs of the use cases.

A field the client did not send is `NOT_SENT`, which differs from `None` (sent as null: clear it).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from activity.domain.activity import ActivityKind, ProjectReference, Status
from domainkit import NOT_SENT, NotSent


@dataclass(frozen=True, kw_only=True)
class ActivityDetails:
    """An activity's fields as sent: whole for a new one, only those to change for an edit."""

    subject: str | NotSent = NOT_SENT
    body: str | NotSent | None = NOT_SENT
    contact_ids: tuple[uuid.UUID, ...] | NotSent = NOT_SENT
    project: ProjectReference | NotSent | None = NOT_SENT
    occurred_at: datetime | NotSent = NOT_SENT
    due_at: datetime | NotSent | None = NOT_SENT
    starts_at: datetime | NotSent | None = NOT_SENT
    ends_at: datetime | NotSent | None = NOT_SENT
    status: Status | NotSent = NOT_SENT


@dataclass(frozen=True)
class LogActivity:
    kind: ActivityKind
    customer_id: uuid.UUID
    details: ActivityDetails


@dataclass(frozen=True)
class UpdateActivity:
    activity_id: uuid.UUID
    details: ActivityDetails
    expected_version: int | None


@dataclass(frozen=True)
class DeleteActivity:
    activity_id: uuid.UUID
    expected_version: int | None
