"""/internal/v1: reads for the platform's other services, reachable only with a service token.

A service that meets a contact id before the contact's event has reached it (activity, customer, portal)
reads that contact once (`servicekit.local_copies.CONTACTS`, read-through on a miss, SPEC §1); the search
service rebuilds its index from the bulk read. Both give the contact in its event form (`ContactState`).
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from contact.adapters import repository
from contact.service.recording import to_state
from contracts.contact import ContactState
from domainkit import NotFound
from servicekit.deps import CurrentService, SessionDep
from servicekit.etag import etag_for
from servicekit.openapi import responses

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
