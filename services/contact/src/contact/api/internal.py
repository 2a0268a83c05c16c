"""/internal/v1: reads for the platform's other services, reachable only with a service token.

A service that meets a contact id before the contact's event has reached it (activity, customer, portal)
reads that contact once (`servicekit.local_copies.CONTACTS`, read-through on a miss, SPEC §1); the search
service rebuilds its index from the bulk read. Both give the contact in its event form (`ContactState`).
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from contact.adapters import repository
from contact.service.batch_upsert import upsert_contacts
from contact.service.recording import to_state
from contracts.contact import ContactState
from domainkit import NotFound
from servicekit.auth import OfficeUser, Permission
from servicekit.context import current_correlation_id
from servicekit.deps import CurrentService, RuntimeDep, SessionDep
from servicekit.etag import etag_for
from servicekit.openapi import responses
from servicekit.problems import Forbidden
from servicekit.unit_of_work import UnitOfWork

router = APIRouter(prefix="/internal/v1", tags=["internal"])


class ContactBatch(BaseModel):
    items: list[ContactState]
    next_after: uuid.UUID | None = Field(
        description="Pass as `after` for the next batch; null when this was the last one."
    )


@router.get("/contacts", response_model=ContactBatch, responses=responses(403, 422, etag=False))
async def stream_contacts(
    service: CurrentService,
    session: SessionDep,
    office_id: Annotated[
        str | None, Query(min_length=1, max_length=200, description="Only this office's; all when omitted")
    ] = None,
    customer_id: Annotated[uuid.UUID | None, Query(description="Only this customer's")] = None,
    after: Annotated[uuid.UUID | None, Query(description="next_after of the previous batch")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 500,
) -> JSONResponse:
    """Every contact (of one office or customer, or of all), inactive ones included, in id order, a batch
    at a time. Keyset on the id: each contact that exists throughout is returned exactly once."""
    rows = await repository.list_after_id(session, office_id, customer_id, after, limit + 1)
    batch = rows[:limit]
    next_after = str(batch[-1].id) if len(rows) > limit else None
    items = [to_state(contact).model_dump(mode="json") for contact in batch]
    return JSONResponse({"items": items, "next_after": next_after})


@router.get("/contacts/{contact_id}", response_model=ContactState, responses=responses(403, 404, 422))
async def read_contact(contact_id: uuid.UUID, service: CurrentService, session: SessionDep) -> JSONResponse:
    """One contact of any office, for a service that has not yet received its event."""
    contact = await repository.get_any_office(session, contact_id)
    if contact is None:
        raise NotFound(f"No contact {contact_id}.")
    return JSONResponse(
        to_state(contact).model_dump(mode="json"), headers={"ETag": etag_for(contact.version)}
    )


class ActingUser(BaseModel):
    subject: str = Field(min_length=1, max_length=200)
    name: str | None = Field(default=None, max_length=300)
    office_id: str = Field(min_length=1, max_length=200)
    roles: list[str] = Field(max_length=10)


class ContactRowIn(BaseModel):
    row: int = Field(ge=1, description="The row of the import file, echoed in the result.")
    customer_id: uuid.UUID
    contact: dict[str, Any] = Field(description="The contact's fields as `POST /v1/contacts` takes them.")


class ContactBatchIn(BaseModel):
    acting_for: ActingUser = Field(
        description="The office user whose import this is; the author of the changes."
    )
    dry_run: bool = False
    rows: list[ContactRowIn] = Field(max_length=1000)


class ContactRowResult(BaseModel):
    row: int
    outcome: Literal["created", "updated", "unchanged", "failed"]
    failures: list[dict[str, str | None]] = Field(description="`field` and `reason` of each refusal.")


class ContactBatchOut(BaseModel):
    results: list[ContactRowResult]


@router.post(
    "/contact-batches", response_model=ContactBatchOut, responses=responses(403, 422, 503, etag=False)
)
async def upsert_contact_batch(
    body: ContactBatchIn, service: CurrentService, runtime: RuntimeDep
) -> ContactBatchOut:
    """Create or update up to 1,000 contacts under the public API's rules (phones to E.164, one main
    contact), each found by an external id or by its customer and email; for the customer service's
    import. Each refused contact is reported, the rest apply; a dry run applies and rolls back."""
    user = OfficeUser(
        subject=body.acting_for.subject,
        name=body.acting_for.name,
        office_id=body.acting_for.office_id,
        roles=frozenset(body.acting_for.roles),
    )
    if not (user.can(Permission.CREATE) and user.can(Permission.EDIT)):
        raise Forbidden("The user the import acts for may not create and edit contacts.")
    uow = UnitOfWork(
        runtime.session_factory,
        service_name=runtime.settings.service_name,
        actor=user.actor,
        correlation_id=current_correlation_id(),
    )
    rows = [(r.row, r.customer_id, r.contact) for r in body.rows]
    async with uow:
        results = await upsert_contacts(uow, user, runtime.copies, rows)
        if body.dry_run:
            await uow.rollback()
        else:
            await uow.commit()
    return ContactBatchOut(results=[ContactRowResult(**vars(r)) for r in results])
