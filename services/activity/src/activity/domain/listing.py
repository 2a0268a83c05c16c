"""Which activities a list shows, and in what order.

A list is the activity log of an office, narrowed by the filters given (all of them must hold): a
customer, a contact named on the activity, kinds (several allowed), status, project, author, and a range
of `occurred_at` (`from` inclusive, `to` exclusive, so consecutive ranges never show an activity twice).

Order: newest first (by `occurred_at`, then id), the chronological log users read. The planned view is
different: open tasks and calendar entries are read as a to-do list, soonest first, so `status=planned`
orders by `schedule` (the task's due time or the entry's start, soonest first, then those with no due
time) unless the caller asks for `sort=newest`. Any list may ask for either order.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from activity.domain.activity import ActivityKind, Status
from domainkit import InvalidField

Sort = Literal["newest", "schedule"]


@dataclass(frozen=True, kw_only=True)
class ActivityQuery:
    customer_id: uuid.UUID | None = None
    contact_id: uuid.UUID | None = None
    kinds: frozenset[ActivityKind] = frozenset()
    """Any of these kinds; every kind when empty (the "all" view)."""
    status: Status | None = None
    project_system: str | None = None
    project_reference: str | None = None
    author_id: str | None = None
    occurred_from: datetime | None = None
    occurred_to: datetime | None = None
    sort: Sort = "newest"


def activity_query(
    *,
    customer_id: uuid.UUID | None = None,
    contact_id: uuid.UUID | None = None,
    kinds: frozenset[ActivityKind] = frozenset(),
    status: Status | None = None,
    project_system: str | None = None,
    project_reference: str | None = None,
    author_id: str | None = None,
    occurred_from: datetime | None = None,
    occurred_to: datetime | None = None,
    sort: Sort | None = None,
) -> ActivityQuery:
    """The query the filters describe; a 422 naming the parameter for filters that cannot both hold."""
    if project_reference is not None and project_system is None:
        raise InvalidField(
            "project_reference", "needs project_system: a reference is unique only in its system"
        )
    if occurred_from is not None and occurred_to is not None and occurred_to <= occurred_from:
        raise InvalidField("to", "must be after from")
    return ActivityQuery(
        customer_id=customer_id,
        contact_id=contact_id,
        kinds=kinds,
        status=status,
        project_system=project_system,
        project_reference=project_reference,
        author_id=author_id,
        occurred_from=occurred_from,
        occurred_to=occurred_to,
        sort=sort or ("schedule" if status == "planned" else "newest"),
    )
