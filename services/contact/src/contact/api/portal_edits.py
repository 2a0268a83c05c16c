"""/internal/v1/contacts/{id}/portal: a portal user's edit of a contact person of their own company (its
phone and email), carried out by the portal service with a service token that names the portal user
(`acting_for`).

The contact's `updated_by` and the event's actor name the portal user; the route checks that the contact is
of the portal user's own customer and office and that the user holds the portal permission `edit_company`.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Response
from pydantic import BaseModel, ConfigDict, StringConstraints

from contact.adapters import repository
from contact.api.schemas import ContactOut
from contact.domain.commands import ContactDetails, UpdateContact
from contact.domain.contact import ContactAndCustomer
from contact.service import contacts as use_cases
from domainkit import NotFound
from servicekit.auth import OfficeUser, ServiceCaller
from servicekit.deps import CurrentService, LocalCopiesDep, UnitOfWorkDep
from servicekit.etag import IfMatch, etag_for, expected_version
from servicekit.openapi import responses
from servicekit.problems import Forbidden
from servicekit.transactions import run_in_transaction
from servicekit.unit_of_work import UnitOfWork

router = APIRouter(prefix="/internal/v1/contacts/{contact_id}/portal", tags=["internal"])

EDIT_COMPANY = "edit_company"


class PortalContactChange(BaseModel):
    """What a portal user may change of their company's contact persons."""

    model_config = ConfigDict(extra="forbid")

    phone: Annotated[str, StringConstraints(strip_whitespace=True, max_length=50)] | None = None
    email: Annotated[str, StringConstraints(strip_whitespace=True, max_length=320)] | None = None


def portal_editor(service: ServiceCaller) -> OfficeUser:
    """The portal user the service acts for, as an editor without any office role."""
    portal_user = service.acting_for
    if portal_user is None:
        raise Forbidden("Only a service acting for a portal user edits through this endpoint.")
    if EDIT_COMPANY not in portal_user.portal_permissions:
        raise Forbidden("The portal user may not edit company information.", permission=EDIT_COMPANY)
    return OfficeUser(subject=portal_user.subject, name=portal_user.name, office_id=portal_user.office_id)


@router.patch("", response_model=ContactOut, responses=responses(400, 403, 404, 409, 412, 422, 503))
async def change_contact_for_portal_user(
    contact_id: uuid.UUID,
    body: PortalContactChange,
    service: CurrentService,
    uow: UnitOfWorkDep,
    copies: LocalCopiesDep,
    if_match: IfMatch = None,
) -> Response:
    """Change the phone or email of a contact of the portal user's own customer."""
    editor = portal_editor(service)
    customer_id = service.acting_for.customer_id if service.acting_for else ""
    details = ContactDetails(**body.model_dump(exclude_unset=True))
    command = UpdateContact(contact_id, details, expected_version(if_match, required=False))

    async def change(uow: UnitOfWork) -> ContactAndCustomer:
        found = await repository.get(uow.session, contact_id, editor.office_id)
        if found is None or str(found.contact.customer_id) != customer_id:
            raise NotFound(f"No contact {contact_id} of your company.")
        return await use_cases.update_contact(uow, editor, copies, command)

    found = await run_in_transaction(uow, change)
    return Response(
        ContactOut.of(found).model_dump_json(),
        media_type="application/json",
        headers={"ETag": etag_for(found.contact.version)},
    )
