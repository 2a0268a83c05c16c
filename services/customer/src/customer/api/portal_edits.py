"""/internal/v1/customers/{id}/portal/addresses: a portal user's edits of their own company's addresses,
carried out by the portal service with a service token that names the portal user (`acting_for`).

The portal user is the author in the customer's history and events; the route checks that the user acts
on their own customer and holds the portal permission `edit_company`. Nothing else of the customer can be
changed this way.
"""

from __future__ import annotations

import uuid

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from customer.api.schemas import AddressOut, AddressPatch
from customer.domain.addresses import find
from customer.domain.commands import ChangeAddress
from customer.service import addresses as use_cases
from domainkit import NotFound
from servicekit.auth import OfficeUser, ServiceCaller
from servicekit.deps import CurrentService, LocalCopiesDep, UnitOfWorkDep
from servicekit.etag import IfMatch, etag_for, expected_version
from servicekit.openapi import responses
from servicekit.problems import Forbidden
from servicekit.transactions import run_in_transaction

router = APIRouter(prefix="/internal/v1/customers/{customer_id}/portal", tags=["internal"])

EDIT_COMPANY = "edit_company"


def portal_editor(service: ServiceCaller, customer_id: uuid.UUID) -> OfficeUser:
    """The portal user the service acts for, as the editor of their own customer (no office role)."""
    portal_user = service.acting_for
    if portal_user is None:
        raise Forbidden("Only a service acting for a portal user edits through this endpoint.")
    if portal_user.customer_id != str(customer_id):
        raise NotFound(f"No customer {customer_id}.")
    if EDIT_COMPANY not in portal_user.portal_permissions:
        raise Forbidden("The portal user may not edit company information.", permission=EDIT_COMPANY)
    return OfficeUser(subject=portal_user.subject, name=portal_user.name, office_id=portal_user.office_id)


@router.patch(
    "/addresses/{address_id}", response_model=AddressOut, responses=responses(400, 403, 404, 412, 422, 503)
)
async def change_address_for_portal_user(
    customer_id: uuid.UUID,
    address_id: uuid.UUID,
    body: AddressPatch,
    service: CurrentService,
    uow: UnitOfWorkDep,
    copies: LocalCopiesDep,
    if_match: IfMatch = None,
) -> JSONResponse:
    """Change one address of the portal user's own customer; the history names the portal user."""
    editor = portal_editor(service, customer_id)
    command = ChangeAddress(
        customer_id, address_id, body.details(), expected_version(if_match, required=False)
    )
    customer = await run_in_transaction(
        uow, lambda uow: use_cases.change_address(uow, editor, command, copies)
    )
    address = find(customer.addresses, address_id)
    body_json = AddressOut.model_validate(vars(address)).model_dump(mode="json")
    return JSONResponse(body_json, headers={"ETag": etag_for(customer.version)})
