"""A portal user's own endpoints: their company, its contacts, their catalogs, and (with `edit_company`)
changing their company's addresses. Only the portal's own access tokens work here."""

from __future__ import annotations

import uuid

from fastapi import APIRouter

from portal.api.deps import OwnersDep, PortalUser
from portal.api.schemas import (
    AddressChange,
    AddressOut,
    CatalogOut,
    CatalogsOut,
    CompanyOut,
    ContactChange,
    ContactOut,
)
from portal.service import me as use_cases
from servicekit.deps import SessionDep
from servicekit.etag import IfMatch, etag_for, expected_version
from servicekit.openapi import responses

router = APIRouter(prefix="/v1/portal/me", tags=["portal users"])


@router.get("", response_model=CompanyOut, responses=responses(403, 503, etag=False))
async def my_company(me: PortalUser, owners: OwnersDep) -> CompanyOut:
    """Your company's card (no internal remarks, no personal identity number)."""
    return CompanyOut.model_validate(await use_cases.company(owners, me.user))


@router.get("/contacts", response_model=list[ContactOut], responses=responses(403, etag=False))
async def my_contacts(me: PortalUser, session: SessionDep) -> list[ContactOut]:
    """Your company's active contact persons."""
    return [ContactOut.of(row) for row in await use_cases.contacts(session, me.user)]


@router.get("/catalogs", response_model=CatalogsOut, responses=responses(403, etag=False))
async def my_catalogs(me: PortalUser, session: SessionDep) -> CatalogsOut:
    """The catalogs and linked resources your company's portal shows."""
    visible, resources = await use_cases.catalogs(session, me.user)
    return CatalogsOut(catalogs=[CatalogOut.of(row) for row in visible], resources=resources)


@router.patch(
    "/addresses/{address_id}",
    response_model=AddressOut,
    responses=responses(400, 403, 404, 409, 412, 422, 503, etag=False),
)
async def change_my_address(
    address_id: uuid.UUID, body: AddressChange, me: PortalUser, owners: OwnersDep, if_match: IfMatch = None
) -> AddressOut:
    """Change one of your company's addresses (needs `edit_company`); the customer's history names you."""
    changes = body.model_dump(exclude_unset=True)
    version = expected_version(if_match, required=False)  # a 400 for a value that is no entity tag
    forwarded = etag_for(version) if version is not None else None
    address = await use_cases.change_address(owners, me.user, address_id, changes, forwarded)
    return AddressOut.model_validate(address)


@router.patch(
    "/contacts/{contact_id}",
    response_model=ContactOut,
    responses=responses(400, 403, 404, 409, 412, 422, 503, etag=False),
)
async def change_my_contact(
    contact_id: uuid.UUID,
    body: ContactChange,
    me: PortalUser,
    owners: OwnersDep,
    session: SessionDep,
    if_match: IfMatch = None,
) -> ContactOut:
    """Change the phone or email of one of your company's contact persons (needs `edit_company`); the
    contact service records you as the author."""
    version = expected_version(if_match, required=False)
    forwarded = etag_for(version) if version is not None else None
    changes = body.model_dump(exclude_unset=True)
    contact = await use_cases.change_contact(owners, session, me.user, contact_id, changes, forwarded)
    await session.commit()
    return ContactOut.model_validate(contact)
