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

from fastapi import APIRouter, Depends, Header, Query, Response, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from sqlalchemy.exc import IntegrityError

from customer.adapters import link_repository, repository
from customer.adapters.link_repository import LinkPosition
from customer.domain.project_link import (
    MAX_REFERENCE_LENGTH,
    MAX_TITLE_LENGTH,
    SYSTEM_PATTERN,
    ProjectLink,
)
from customer.service import links as use_cases
from servicekit import idempotency
from servicekit.auth import Permission, Principal
from servicekit.deps import RuntimeDep, SessionDep, UnitOfWorkDep, require
from servicekit.pagination import Page, decode_cursor, encode_cursor
from servicekit.problems import Conflict, InvalidField, NotFound

router = APIRouter(prefix="/v1/customers/{customer_id}/links", tags=["project links"])

Viewer = Annotated[Principal, Depends(require(Permission.VIEW))]
Editor = Annotated[Principal, Depends(require(Permission.EDIT))]


class LinkCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    system: str = Field(pattern=SYSTEM_PATTERN, description="The registering app, e.g. projects, erp")
    reference: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_REFERENCE_LENGTH)
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


def _office(user: Principal) -> str:
    assert user.office_id is not None, "internal users always belong to an office"
    return user.office_id


async def _check_visible(session: SessionDep, user: Principal, customer_id: uuid.UUID) -> None:
    if await repository.get(session, customer_id, _office(user)) is None:
        raise NotFound(f"No customer {customer_id} in your office.")


def _position(cursor: str) -> LinkPosition:
    created_at, link_id = decode_cursor(cursor, 2)
    try:
        return datetime.fromisoformat(created_at), uuid.UUID(link_id)
    except (TypeError, ValueError):
        raise InvalidField("cursor", "is not a cursor this list gave out") from None


@router.get("", response_model=Page[LinkOut])
async def list_links(
    customer_id: uuid.UUID,
    user: Viewer,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(description="next_cursor of the previous page")] = None,
) -> Page[LinkOut]:
    """All projects for this customer, oldest first, a page at a time."""
    await _check_visible(session, user, customer_id)
    after = _position(cursor) if cursor else None
    rows = await link_repository.list_page(session, customer_id, after, limit + 1)
    page = rows[:limit]
    next_cursor = (
        encode_cursor([page[-1].created_at.isoformat(), str(page[-1].id)]) if len(rows) > limit else None
    )
    return Page[LinkOut](items=[LinkOut.model_validate(link) for link in page], next_cursor=next_cursor)


@router.get("/{link_id}", response_model=LinkOut)
async def get_link(customer_id: uuid.UUID, link_id: uuid.UUID, user: Viewer, session: SessionDep) -> LinkOut:
    await _check_visible(session, user, customer_id)
    link = await link_repository.get(session, customer_id, link_id)
    if link is None:
        raise NotFound(f"Customer {customer_id} has no project link {link_id}.")
    return LinkOut.model_validate(link)


@router.post("", status_code=status.HTTP_201_CREATED, response_model=LinkOut)
async def register_link(
    customer_id: uuid.UUID,
    body: LinkCreate,
    user: Editor,
    uow: UnitOfWorkDep,
    runtime: RuntimeDep,
    idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
) -> JSONResponse:
    """Link a project to the customer. 409 when the customer is inactive or the (system, reference) is
    already linked. With an `Idempotency-Key`, a repeated request answers as the first did."""

    async def register(on_registered: use_cases.RegisteredHook | None = None) -> ProjectLink:
        return await use_cases.register_link(
            uow,
            user,
            customer_id,
            system=body.system,
            reference=body.reference,
            title=body.title,
            on_registered=on_registered,
        )

    return await idempotency.answer_once(
        key=idempotency_key,
        office_id=_office(user),
        fingerprint=idempotency.fingerprint("POST", _links_path(customer_id), body.model_dump(mode="json")),
        uow=uow,
        session_factory=runtime.session_factory,
        create=register,
        answer=_created,
        # A concurrent twin holds the customer's row lock until it commits, so ours then meets its link
        # (Conflict) or its key (IntegrityError) and rolls back.
        race_errors=(IntegrityError, Conflict),
    )


@router.delete("/{link_id}", status_code=status.HTTP_204_NO_CONTENT)
async def remove_link(
    customer_id: uuid.UUID, link_id: uuid.UUID, user: Editor, uow: UnitOfWorkDep
) -> Response:
    """Unlink a project, also from an inactive customer; a customer can be deleted once it has no links."""
    await use_cases.remove_link(uow, user, customer_id, link_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


def _links_path(customer_id: uuid.UUID) -> str:
    return router.prefix.format(customer_id=customer_id)


def _created(link: ProjectLink) -> JSONResponse:
    location = f"{_links_path(link.customer_id)}/{link.id}"
    return JSONResponse(_link_json(link), status_code=status.HTTP_201_CREATED, headers={"Location": location})
