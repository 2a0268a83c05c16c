"""Staff endpoints (office users): a customer's portal access, customer users, the office's catalogs.
Managing portal access and customer users takes the `manage_customer_users` permission (managers and
office admins); the catalog registry is office admin work."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response, status

from domainkit import NotFound
from portal.adapters import repository
from portal.api.schemas import (
    AccessIn,
    AccessOut,
    CatalogIn,
    CatalogOut,
    CatalogPatch,
    UserGrant,
    UserOut,
    UserPatch,
)
from portal.service import staff as use_cases
from servicekit.auth import OfficeUser, Permission
from servicekit.deps import Admin, LocalCopiesDep, SessionDep, UnitOfWorkDep, Viewer, require
from servicekit.etag import IfMatch, etag_for, expected_version
from servicekit.openapi import responses
from servicekit.pagination import CursorQuery, Page, decode_cursor, encode_cursor
from servicekit.transactions import run_in_transaction

router = APIRouter(prefix="/v1/portal", tags=["portal staff"])

Manager = Annotated[OfficeUser, Depends(require(Permission.MANAGE_CUSTOMER_USERS))]


def _json(model: AccessOut | CatalogOut | UserOut, version: int, status_code: int = 200) -> Response:
    return Response(
        model.model_dump_json(),
        status_code=status_code,
        media_type="application/json",
        headers={"ETag": etag_for(version)},
    )


@router.get(
    "/customers/{customer_id}/access", response_model=AccessOut, responses=responses(403, 404, 422, 503)
)
async def get_access(
    customer_id: uuid.UUID, user: Viewer, session: SessionDep, copies: LocalCopiesDep
) -> Response:
    """A customer's portal access: on or off, its address, visible catalogs and linked resources."""
    customer = await use_cases.visible_customer(session, copies, user, customer_id)
    await session.commit()  # a customer read from its owner just now is kept
    row = await repository.get_access(session, customer_id)
    return _json(AccessOut.of(customer_id, row, customer.active), row.version if row else 0)


@router.put(
    "/customers/{customer_id}/access",
    response_model=AccessOut,
    responses=responses(400, 403, 404, 412, 422, 503),
)
async def put_access(
    customer_id: uuid.UUID,
    body: AccessIn,
    user: Manager,
    uow: UnitOfWorkDep,
    copies: LocalCopiesDep,
    if_match: IfMatch = None,
) -> Response:
    """Set the customer's portal access (every field; an empty list of catalogs or of a kind of resource
    means all of that kind). Switching it off ends its users' sessions. Publishes `portal.access_changed`."""
    wanted = use_cases.AccessSettings(
        enabled=body.enabled,
        address=body.address,
        catalog_ids=body.catalog_ids,
        resources={
            kind: [item.model_dump() for item in items] for kind, items in body.resources.items() if items
        },
    )
    version = expected_version(if_match, required=False)
    row, customer_active = await run_in_transaction(
        uow, lambda uow: use_cases.put_access(uow, user, copies, customer_id, wanted, version)
    )
    return _json(AccessOut.of(customer_id, row, customer_active), row.version)


@router.get("/catalogs", response_model=Page[CatalogOut], responses=responses(403, 422, etag=False))
async def list_catalogs(
    user: Viewer,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: CursorQuery = None,
) -> Page[CatalogOut]:
    """The office's catalogs by name, active and inactive, a page at a time."""
    after = decode_cursor(cursor, (str, uuid.UUID)) if cursor else None
    rows = await repository.office_catalogs(session, user.office_id, after, limit + 1)
    page, more = rows[:limit], len(rows) > limit
    next_cursor = encode_cursor([page[-1].name.lower(), str(page[-1].id)]) if more else None
    return Page[CatalogOut](items=[CatalogOut.of(row) for row in page], next_cursor=next_cursor)


@router.post(
    "/catalogs",
    status_code=status.HTTP_201_CREATED,
    response_model=CatalogOut,
    responses=responses(403, 422, success=(201,)),
)
async def create_catalog(body: CatalogIn, user: Admin, uow: UnitOfWorkDep) -> Response:
    """Add a catalog to the office's registry. Publishes `portal.catalog_changed`."""
    row = await run_in_transaction(uow, lambda uow: use_cases.create_catalog(uow, user, body.name))
    answer = _json(CatalogOut.of(row), row.version, status.HTTP_201_CREATED)
    answer.headers["Location"] = f"{router.prefix}/catalogs/{row.id}"
    return answer


@router.get("/catalogs/{catalog_id}", response_model=CatalogOut, responses=responses(403, 404, 422))
async def get_catalog(catalog_id: uuid.UUID, user: Viewer, session: SessionDep) -> Response:
    row = await repository.get_catalog(session, user.office_id, catalog_id)
    if row is None:
        raise NotFound(f"No catalog {catalog_id} in your office.")
    return _json(CatalogOut.of(row), row.version)


@router.patch(
    "/catalogs/{catalog_id}", response_model=CatalogOut, responses=responses(400, 403, 404, 412, 422)
)
async def change_catalog(
    catalog_id: uuid.UUID, body: CatalogPatch, user: Admin, uow: UnitOfWorkDep, if_match: IfMatch = None
) -> Response:
    """Rename it, or deactivate it (`active: false`: hidden from every portal) and reactivate it."""
    changes = body.model_dump(exclude_unset=True)
    version = expected_version(if_match, required=False)
    row = await run_in_transaction(
        uow, lambda uow: use_cases.change_catalog(uow, user, catalog_id, changes, version)
    )
    return _json(CatalogOut.of(row), row.version)


@router.get("/users", response_model=Page[UserOut], responses=responses(403, 422, etag=False))
async def list_users(
    user: Viewer,
    session: SessionDep,
    customer_id: Annotated[uuid.UUID | None, Query(description="Only this customer's users")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: CursorQuery = None,
) -> Page[UserOut]:
    """Your office's customer users (of one customer, when given), a page at a time."""
    after = decode_cursor(cursor, (uuid.UUID,))[0] if cursor else None
    rows = await repository.list_users(session, user.office_id, customer_id, after, limit + 1)
    page, more = rows[:limit], len(rows) > limit
    next_cursor = encode_cursor([str(page[-1].id)]) if more else None
    return Page[UserOut](items=[UserOut.of(row) for row in page], next_cursor=next_cursor)


@router.post(
    "/users",
    status_code=status.HTTP_201_CREATED,
    response_model=UserOut,
    responses=responses(403, 409, 422, 503, success=(201,)),
)
async def grant_access(
    body: UserGrant, user: Manager, uow: UnitOfWorkDep, copies: LocalCopiesDep
) -> Response:
    """Give a contact of your office a portal login with these permissions. The contact gets an
    invitation mail to set a password (`portal.invitation_requested`, sent by the portal's mail sender)."""
    row = await run_in_transaction(
        uow, lambda uow: use_cases.grant_access(uow, user, copies, body.contact_id, list(body.permissions))
    )
    answer = _json(UserOut.of(row), row.version, status.HTTP_201_CREATED)
    answer.headers["Location"] = f"{router.prefix}/users/{row.id}"
    return answer


@router.patch(
    "/users/{user_id}", response_model=UserOut, responses=responses(400, 403, 404, 409, 412, 422, 503)
)
async def change_user(
    user_id: uuid.UUID,
    body: UserPatch,
    user: Manager,
    uow: UnitOfWorkDep,
    copies: LocalCopiesDep,
    if_match: IfMatch = None,
) -> Response:
    """Change a customer user's permissions (its sessions end, so the next token carries the new ones),
    or send its invitation again."""
    permissions = list(body.permissions) if "permissions" in body.model_fields_set else None
    version = expected_version(if_match, required=False)
    row = await run_in_transaction(
        uow,
        lambda uow: use_cases.change_user(
            uow, user, copies, user_id, permissions, body.resend_invitation, version
        ),
    )
    return _json(UserOut.of(row), row.version)


@router.delete(
    "/users/{user_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=responses(400, 403, 404, 412, 422, success=(204,), etag=False),
)
async def remove_user(
    user_id: uuid.UUID, user: Manager, uow: UnitOfWorkDep, if_match: IfMatch = None
) -> Response:
    """Take the portal login away, with every session."""
    version = expected_version(if_match, required=False)
    await run_in_transaction(uow, lambda uow: use_cases.remove_user(uow, user, user_id, version))
    return Response(status_code=status.HTTP_204_NO_CONTENT)
