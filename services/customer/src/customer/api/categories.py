"""/v1/categories: the office's customer categories.

Everyone in the office reads them; only an office admin creates, renames, deactivates, reactivates and
deletes them. A category in use can only be deactivated (customers that have it keep it, no customer can
be given it) and reactivated; one no customer has can be deleted.

The list is short (an office has tens of categories), so it comes whole in one page: active categories
first, then inactive ones, each group by name ignoring case. Every answer says how many customers have
the category (`in_use_count`), so a client knows whether to offer delete or deactivate.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, Response, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from customer.adapters import category_repository
from customer.domain.category import MAX_NAME_LENGTH, Category
from customer.service import categories as use_cases
from domainkit import NotFound
from servicekit.api_fields import NOT_BLANK, not_null
from servicekit.deps import Admin, SessionDep, UnitOfWorkDep, Viewer
from servicekit.etag import IfMatch, etag_for, expected_version
from servicekit.openapi import responses
from servicekit.pagination import Page
from servicekit.transactions import run_in_transaction

router = APIRouter(prefix="/v1/categories", tags=["categories"])

_CHANGES = responses(400, 403, 404, 409, 412, 422)


class CategoryOut(BaseModel):
    id: uuid.UUID
    office_id: str
    name: str
    active: bool
    in_use_count: int = Field(description="How many customers have the category.")
    created_at: datetime
    created_by: str
    updated_at: datetime
    updated_by: str
    version: int


class CategoryCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(
        max_length=MAX_NAME_LENGTH,
        pattern=NOT_BLANK,
        description=f"1 to {MAX_NAME_LENGTH} characters, unique in the office ignoring case",
        examples=["Hotel"],
    )


class CategoryPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = not_null(
        max_length=MAX_NAME_LENGTH,
        pattern=NOT_BLANK,
        description="The new name; unique in the office ignoring case",
    )


def _out(category: Category, in_use_count: int) -> CategoryOut:
    return CategoryOut(
        id=category.id,
        office_id=category.office_id,
        name=category.name,
        active=category.active,
        in_use_count=in_use_count,
        created_at=category.created_at,
        created_by=category.created_by,
        updated_at=category.updated_at,
        updated_by=category.updated_by,
        version=category.version,
    )


async def _answer(session: SessionDep, category: Category, status_code: int = 200) -> JSONResponse:
    in_use = await category_repository.in_use_count(session, category.id)
    body = _out(category, in_use).model_dump(mode="json")
    return JSONResponse(body, status_code=status_code, headers={"ETag": etag_for(category.version)})


@router.get("", response_model=Page[CategoryOut], responses=responses(403, 422, etag=False))
async def list_categories(
    user: Viewer,
    session: SessionDep,
    include_inactive: Annotated[
        bool, Query(description="Include deactivated categories (after the active ones)")
    ] = True,
) -> Page[CategoryOut]:
    """The office's categories, active first, then by name; the whole list in one page."""
    found = await category_repository.list_with_use(
        session, user.office_id, include_inactive=include_inactive
    )
    return Page[CategoryOut](items=[_out(category, in_use) for category, in_use in found])


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=CategoryOut,
    responses=responses(403, 409, 422, success=(201,)),
)
async def create_category(
    body: CategoryCreate, user: Admin, uow: UnitOfWorkDep, session: SessionDep
) -> JSONResponse:
    """Office admins only. A name already used in the office (ignoring case) is a 409 naming `name`."""
    category = await run_in_transaction(uow, lambda uow: use_cases.create_category(uow, user, body.name))
    answer = await _answer(session, category, status.HTTP_201_CREATED)
    answer.headers["Location"] = f"{router.prefix}/{category.id}"
    return answer


@router.get("/{category_id}", response_model=CategoryOut, responses=responses(403, 404, 422))
async def get_category(category_id: uuid.UUID, user: Viewer, session: SessionDep) -> JSONResponse:
    category = await category_repository.get(session, category_id, user.office_id)
    if category is None:
        raise NotFound(f"No category {category_id} in your office.")
    return await _answer(session, category)


@router.patch("/{category_id}", response_model=CategoryOut, responses=_CHANGES)
async def rename_category(
    category_id: uuid.UUID,
    body: CategoryPatch,
    user: Admin,
    uow: UnitOfWorkDep,
    session: SessionDep,
    if_match: IfMatch = None,
) -> JSONResponse:
    """Office admins only: rename. If-Match is honoured when given (412 when stale)."""
    name = body.name if "name" in body.model_fields_set else None
    version = expected_version(if_match, required=False)
    category = await run_in_transaction(
        uow, lambda uow: use_cases.rename_category(uow, user, category_id, name, version)
    )
    return await _answer(session, category)


@router.post("/{category_id}/deactivate", response_model=CategoryOut, responses=_CHANGES)
async def deactivate_category(
    category_id: uuid.UUID, user: Admin, uow: UnitOfWorkDep, session: SessionDep, if_match: IfMatch = None
) -> JSONResponse:
    """Office admins only. Customers that have the category keep it; no customer can be given it."""
    version = expected_version(if_match, required=False)
    category = await run_in_transaction(
        uow, lambda uow: use_cases.deactivate_category(uow, user, category_id, version)
    )
    return await _answer(session, category)


@router.post("/{category_id}/reactivate", response_model=CategoryOut, responses=_CHANGES)
async def reactivate_category(
    category_id: uuid.UUID, user: Admin, uow: UnitOfWorkDep, session: SessionDep, if_match: IfMatch = None
) -> JSONResponse:
    version = expected_version(if_match, required=False)
    category = await run_in_transaction(
        uow, lambda uow: use_cases.reactivate_category(uow, user, category_id, version)
    )
    return await _answer(session, category)


@router.delete(
    "/{category_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=responses(400, 403, 404, 409, 412, 422, success=(204,), etag=False),
)
async def delete_category(
    category_id: uuid.UUID, user: Admin, uow: UnitOfWorkDep, if_match: IfMatch = None
) -> Response:
    """Office admins only, and only while no customer has the category: otherwise 409 with
    `in_use_count` (deactivate it instead)."""
    version = expected_version(if_match, required=False)
    await run_in_transaction(uow, lambda uow: use_cases.delete_category(uow, user, category_id, version))
    return Response(status_code=status.HTTP_204_NO_CONTENT)
