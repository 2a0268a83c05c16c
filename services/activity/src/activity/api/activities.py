"""/v1/activities: log, read, list, edit and delete activities."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response, status

from activity.adapters.repository import ListPosition, StoredActivity
from activity.api.filters import list_filters
from activity.api.schemas import ActivityCreate, ActivityOut, ActivityPatch, answer_of
from activity.domain.commands import DeleteActivity, LogActivity, UpdateActivity
from activity.domain.listing import ActivityQuery, Sort
from activity.service import activities as use_cases
from activity.service import queries
from activity.service.recording import to_state
from servicekit.deps import Creator, Deleter, Editor, LocalCopiesDep, SessionDep, UnitOfWorkDep, Viewer
from servicekit.etag import IfMatch, IfMatchRequired, etag_for, expected_version
from servicekit.idempotency import IdempotencyDep
from servicekit.openapi import responses
from servicekit.pagination import CursorQuery, Page, decode_cursor, encode_cursor
from servicekit.problems import InvalidField
from servicekit.transactions import answer_once, run_in_transaction

router = APIRouter(prefix="/v1/activities", tags=["activities"])


def _out(stored: StoredActivity) -> ActivityOut:
    return answer_of(to_state(stored.activity), customer_active=stored.customer_active)


def _answer(stored: StoredActivity, status_code: int = 200) -> Response:
    return Response(
        _out(stored).model_dump_json(),
        status_code=status_code,
        media_type="application/json",
        headers={"ETag": etag_for(stored.activity.version)},
    )


def _created(stored: StoredActivity) -> Response:
    answer = _answer(stored, status.HTTP_201_CREATED)
    answer.headers["Location"] = f"{router.prefix}/{stored.activity.id}"
    return answer


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=ActivityOut,
    responses=responses(403, 422, 503, success=(201,), idempotent=True),
)
async def log_activity(
    body: ActivityCreate, user: Creator, uow: UnitOfWorkDep, copies: LocalCopiesDep, once: IdempotencyDep
) -> Response:
    """Log an activity on a customer, as its author. The customer must be one your office sees (422
    naming `customer_id` otherwise; an inactive one is fine, and the answer says `customer_active: false`),
    and each of `contact_ids` one of its contacts. With an `Idempotency-Key`, a repeated request answers as
    the first did."""
    command = LogActivity(body.kind, body.customer_id, body.details())
    return await answer_once(
        uow, once, lambda uow: use_cases.log_activity(uow, user, copies, command), _created
    )


@router.get("", response_model=Page[ActivityOut], responses=responses(403, 404, 422, 503, etag=False))
async def list_activities(
    user: Viewer,
    session: SessionDep,
    copies: LocalCopiesDep,
    wanted: Annotated[ActivityQuery, Depends(list_filters)],
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: CursorQuery = None,
) -> Page[ActivityOut]:
    """Your office's activities, newest first, narrowed by the filters given; `status=planned` lists
    open tasks and calendar entries soonest first (see `sort`). A page at a time."""
    after = _position(cursor, wanted.sort) if cursor else None
    rows = await queries.list_activities(session, copies, user.office_id, wanted, after, limit + 1)
    page = rows[:limit]
    next_cursor = _cursor(page[-1], wanted.sort) if len(rows) > limit else None
    return Page[ActivityOut](items=[_out(stored) for stored in page], next_cursor=next_cursor)


def _cursor(last: StoredActivity, sort: Sort) -> str:
    moment = last.activity.scheduled_for if sort == "schedule" else last.activity.occurred_at
    return encode_cursor([sort, moment.isoformat() if moment else "", str(last.activity.id)])


def _position(cursor: str, sort: Sort) -> ListPosition:
    given_sort, moment, last_id = decode_cursor(cursor, (str, str, uuid.UUID))
    if given_sort != sort:
        raise InvalidField("cursor", f"was given out by a list sorted by {given_sort}, not {sort}")
    if not moment and sort == "schedule":
        return None, last_id
    try:
        return datetime.fromisoformat(moment), last_id
    except ValueError:
        raise InvalidField("cursor", "is not a cursor this list gave out") from None


@router.get("/{activity_id:uuid}", response_model=ActivityOut, responses=responses(403, 404, 422))
async def get_activity(activity_id: uuid.UUID, user: Viewer, session: SessionDep) -> Response:
    return _answer(await queries.get_activity(session, activity_id, user.office_id))


@router.patch(
    "/{activity_id:uuid}",
    response_model=ActivityOut,
    responses=responses(400, 403, 404, 412, 422, 428, 503),
)
async def update_activity(
    activity_id: uuid.UUID,
    body: ActivityPatch,
    user: Editor,
    uow: UnitOfWorkDep,
    copies: LocalCopiesDep,
    if_match: IfMatchRequired = None,
) -> Response:
    """Change the fields sent: only the author or an office admin may (403 otherwise). `status: done`
    records who marked it done and when; `planned` reopens it. Requires If-Match with the ETag read; 412
    if someone changed it since."""
    command = UpdateActivity(activity_id, body.details(), expected_version(if_match, required=True))
    stored = await run_in_transaction(uow, lambda uow: use_cases.update_activity(uow, user, copies, command))
    return _answer(stored)


@router.delete(
    "/{activity_id:uuid}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=responses(400, 403, 404, 412, 422, success=(204,), etag=False),
)
async def delete_activity(
    activity_id: uuid.UUID, user: Deleter, uow: UnitOfWorkDep, if_match: IfMatch = None
) -> Response:
    """Delete the activity: only its author or an office admin may (403 otherwise)."""
    command = DeleteActivity(activity_id, expected_version(if_match, required=False))
    await run_in_transaction(uow, lambda uow: use_cases.delete_activity(uow, user, command))
    return Response(status_code=status.HTTP_204_NO_CONTENT)
