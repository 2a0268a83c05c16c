"""The query parameters that narrow the activity list and the notes export, as one dependency each.

`from` and `to` bound `occurred_at` (`from` inclusive, `to` exclusive); every filter given must hold.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Query

from activity.api.schemas import MAX_REFERENCE_LENGTH, SYSTEM_PATTERN, Moment
from activity.domain.activity import KINDS, ActivityKind, Status
from activity.domain.listing import ActivityQuery, Sort, activity_query

CustomerFilter = Annotated[
    uuid.UUID | None,
    Query(description="Only this customer's activities (404 if your office has no such customer)"),
]
AuthorFilter = Annotated[
    str | None, Query(min_length=1, max_length=200, description="Only those logged by this user (their id)")
]
FromFilter = Annotated[
    Moment | None,
    Query(alias="from", description="occurred_at at or after this time, e.g. 2026-12-01T00:00:00Z"),
]
ToFilter = Annotated[Moment | None, Query(description="occurred_at before this time (after `from`)")]


async def list_filters(
    customer_id: CustomerFilter = None,
    contact_id: Annotated[
        uuid.UUID | None,
        Query(description="Only activities naming this contact (404 if not one of your office)"),
    ] = None,
    kind: Annotated[
        list[ActivityKind] | None,
        Query(
            max_length=len(KINDS), description="Only these kinds (repeat the parameter); all when left out"
        ),
    ] = None,
    status: Annotated[
        Status | None, Query(description="planned or done (tasks and calendar entries)")
    ] = None,
    project_system: Annotated[
        str | None, Query(pattern=SYSTEM_PATTERN, description="Only those of a project in this system")
    ] = None,
    project_reference: Annotated[
        str | None,
        Query(min_length=1, max_length=MAX_REFERENCE_LENGTH, description="...and with this reference there"),
    ] = None,
    author: AuthorFilter = None,
    from_: FromFilter = None,
    to: ToFilter = None,
    sort: Annotated[
        Sort | None,
        Query(
            description="newest: by occurred_at, newest first (the default). schedule: by due time or start, "
            "soonest first, those without one last (the default with status=planned)."
        ),
    ] = None,
) -> ActivityQuery:
    return activity_query(
        customer_id=customer_id,
        contact_id=contact_id,
        kinds=frozenset(kind or ()),
        status=status,
        project_system=project_system,
        project_reference=project_reference,
        author_id=author,
        occurred_from=from_,
        occurred_to=to,
        sort=sort,
    )


async def export_filters(
    customer_id: CustomerFilter = None,
    author: AuthorFilter = None,
    from_: FromFilter = None,
    to: ToFilter = None,
) -> ActivityQuery:
    return activity_query(
        customer_id=customer_id,
        kinds=frozenset({"note"}),
        author_id=author,
        occurred_from=from_,
        occurred_to=to,
    )
