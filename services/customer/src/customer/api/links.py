"""/v1/customers/{id}/links: the projects (or orders) internal apps register on a customer.

Apps call these with a user token of the customer's office (the user on whose behalf they act, or an
integration user with the `manager` role): links belong to an office's customer, and the office check,
the permission check and the `Idempotency-Key` scope all come from that token. Service tokens are for the
`/internal/v1` reads only.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, Response, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from customer.adapters import link_repository, repository
from customer.domain.commands import RegisterProjectLink
from customer.domain.project_link import (
    MAX_REFERENCE_LENGTH,
    MAX_TITLE_LENGTH,
    SYSTEM_PATTERN,
    ProjectLink,
)
from customer.service import links as use_cases
from domainkit import NotFound
from servicekit.api_fields import NOT_BLANK
from servicekit.auth import OfficeUser
from servicekit.deps import Editor, SessionDep, UnitOfWorkDep, Viewer
from servicekit.idempotency import IdempotencyDep
from servicekit.openapi import responses
from servicekit.pagination import CursorQuery, Page, decode_cursor, encode_cursor
from servicekit.transactions import answer_once, run_in_transaction

router = APIRouter(prefix="/v1/customers/{customer_id}/links", tags=["project links"])


class LinkCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    system: str = Field(
        max_length=40, pattern=SYSTEM_PATTERN, description="The registering app, e.g. projects, erp"
    )
    reference: Annotated[
        str,
        StringConstraints(
            strip_whitespace=True, min_length=1, max_length=MAX_REFERENCE_LENGTH, pattern=NOT_BLANK
        ),
    ] = Field(description="The project's (or order's) id in that system; once per customer and system")
    title: Annotated[str, StringConstraints(strip_whitespace=True, max_length=MAX_TITLE_LENGTH)] | None = None


class LinkOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    customer_id: uuid.UUID
    system: str
    reference: str
    title: str | None
    created_at: datetime
    created_by: str


def _link_json(link: ProjectLink) -> dict[str, object]:
    return LinkOut.model_validate(link).model_dump(mode="json")


async def _check_visible(session: SessionDep, user: OfficeUser, customer_id: uuid.UUID) -> None:
    if await repository.get(session, customer_id, user.office_id) is None:
        raise NotFound(f"No customer {customer_id} in your office.")


@router.get("", response_model=Page[LinkOut], responses=responses(403, 404, 422, etag=False))
async def list_links(
    customer_id: uuid.UUID,
    user: Viewer,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: CursorQuery = None,
) -> Page[LinkOut]:
    """All projects for this customer, oldest first, a page at a time."""
    await _check_visible(session, user, customer_id)
    after = decode_cursor(cursor, (datetime, uuid.UUID)) if cursor else None
    rows = await link_repository.list_page(session, customer_id, after, limit + 1)
    page = rows[:limit]
    next_cursor = (
        encode_cursor([page[-1].created_at.isoformat(), str(page[-1].id)]) if len(rows) > limit else None
    )
    return Page[LinkOut](items=[LinkOut.model_validate(link) for link in page], next_cursor=next_cursor)


@router.get("/{link_id}", response_model=LinkOut, responses=responses(403, 404, 422, etag=False))
async def get_link(customer_id: uuid.UUID, link_id: uuid.UUID, user: Viewer, session: SessionDep) -> LinkOut:
    await _check_visible(session, user, customer_id)
    link = await link_repository.get(session, customer_id, link_id)
    if link is None:
        raise NotFound(f"Customer {customer_id} has no project link {link_id}.")
    return LinkOut.model_validate(link)


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=LinkOut,
    responses=responses(403, 404, 409, 422, success=(201,), etag=False, idempotent=True),
)
async def register_link(
    customer_id: uuid.UUID, body: LinkCreate, user: Editor, uow: UnitOfWorkDep, once: IdempotencyDep
) -> Response:
    """Link a project to the customer. 409 when the customer is inactive or the (system, reference) is
    already linked. With an `Idempotency-Key`, a repeated request answers as the first did."""
    command = RegisterProjectLink(customer_id, body.system, body.reference, body.title)
    return await answer_once(uow, once, lambda uow: use_cases.register_link(uow, user, command), _created)


@router.delete(
    "/{link_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=responses(403, 404, 422, success=(204,), etag=False),
)
async def remove_link(
    customer_id: uuid.UUID, link_id: uuid.UUID, user: Editor, uow: UnitOfWorkDep
) -> Response:
    """Unlink a project, also from an inactive customer; a customer can be deleted once it has no links."""
    await run_in_transaction(uow, lambda uow: use_cases.remove_link(uow, user, customer_id, link_id))
    return Response(status_code=status.HTTP_204_NO_CONTENT)


def _links_path(customer_id: uuid.UUID) -> str:
    return router.prefix.format(customer_id=customer_id)


def _created(link: ProjectLink) -> JSONResponse:
    location = f"{_links_path(link.customer_id)}/{link.id}"
    return JSONResponse(_link_json(link), status_code=status.HTTP_201_CREATED, headers={"Location": location})
