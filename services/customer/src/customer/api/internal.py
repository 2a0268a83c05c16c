"""/internal/v1: reads for the platform's other services, reachable only with a service token.

The search service rebuilds its index from the bulk read; a service that meets a customer id before the
customer's event has reached it reads that customer once ("read-through on a miss", SPEC §1). Both give
the customer in its event form (`CustomerState`): full state, never the personal identity number.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from contracts.customer import CustomerState
from customer.adapters import repository
from customer.service.recording import to_state
from domainkit import NotFound
from servicekit.deps import CurrentService, SessionDep
from servicekit.etag import etag_for
from servicekit.openapi import responses

router = APIRouter(prefix="/internal/v1", tags=["internal"])


class CustomerBatch(BaseModel):
    items: list[CustomerState]
    next_after: uuid.UUID | None = Field(
        description="Pass as `after` for the next batch; null when this was the last one."
    )


@router.get("/customers", response_model=CustomerBatch, responses=responses(403, 422, etag=False))
async def stream_customers(
    service: CurrentService,
    session: SessionDep,
    office_id: Annotated[
        str | None, Query(min_length=1, max_length=200, description="Only this office's; all when omitted")
    ] = None,
    after: Annotated[uuid.UUID | None, Query(description="next_after of the previous batch")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 500,
) -> JSONResponse:
    """Every customer (of one office, or of all) in id order, a batch at a time.

    Keyset on the id, so customers created or deleted while a reader pages through shift no page:
    each customer that exists throughout is returned exactly once.
    """
    rows = await repository.list_after_id(session, office_id, after, limit + 1)
    batch = rows[:limit]
    next_after = str(batch[-1].id) if len(rows) > limit else None
    items = [to_state(customer).model_dump(mode="json", by_alias=True) for customer in batch]
    return JSONResponse({"items": items, "next_after": next_after})


@router.get("/customers/{customer_id}", response_model=CustomerState, responses=responses(403, 404, 422))
async def read_customer(customer_id: uuid.UUID, service: CurrentService, session: SessionDep) -> JSONResponse:
    """One customer of any office, for a service that has not yet received its event."""
    customer = await repository.get_any_office(session, customer_id)
    if customer is None:
        raise NotFound(f"No customer {customer_id}.")
    body = to_state(customer).model_dump(mode="json", by_alias=True)
    return JSONResponse(body, headers={"ETag": etag_for(customer.version)})
