"""/v1/customers: create, read, list, update, deactivate, reactivate, delete."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Path, Query, Response, status
from fastapi.responses import JSONResponse

from customer.adapters import repository
from customer.api.schemas import CustomerCreate, CustomerOut, CustomerPatch
from customer.domain.customer import Customer
from customer.service import customers as use_cases
from servicekit import idempotency
from servicekit.auth import Permission, Principal
from servicekit.deps import RuntimeDep, SessionDep, UnitOfWorkDep, require
from servicekit.etag import etag_for, expected_version
from servicekit.pagination import Page, decode_cursor, encode_cursor
from servicekit.problems import NotFound

router = APIRouter(prefix="/v1/customers", tags=["customers"])

Viewer = Annotated[Principal, Depends(require(Permission.VIEW))]
Creator = Annotated[Principal, Depends(require(Permission.CREATE))]
Editor = Annotated[Principal, Depends(require(Permission.EDIT))]
Deleter = Annotated[Principal, Depends(require(Permission.DELETE))]


async def _may_create_and_edit(user: Creator) -> Principal:
    user.require(Permission.EDIT)
    return user


Syncer = Annotated[Principal, Depends(_may_create_and_edit)]
IfMatch = Annotated[str | None, Header(description='ETag of the version you read, e.g. "3"')]


def _answer(customer: Customer, user: Principal, status_code: int = 200) -> JSONResponse:
    body = CustomerOut.of(customer, show_identity_number=user.is_admin).model_dump(mode="json")
    return JSONResponse(body, status_code=status_code, headers={"ETag": etag_for(customer.version)})


@router.post("", status_code=status.HTTP_201_CREATED, response_model=CustomerOut)
async def create_customer(
    body: CustomerCreate,
    user: Creator,
    uow: UnitOfWorkDep,
    runtime: RuntimeDep,
    idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
) -> JSONResponse:
    """Create a customer. With an `Idempotency-Key`, a repeated request answers as the first did."""
    assert user.office_id is not None
    return await idempotency.answer_once(
        key=idempotency_key,
        office_id=user.office_id,
        fingerprint=idempotency.fingerprint(
            "POST", router.prefix, body.model_dump(mode="json", by_alias=True)
        ),
        uow=uow,
        session_factory=runtime.session_factory,
        create=lambda hook: use_cases.create_customer(uow, user, body.domain_values(), on_created=hook),
        answer=lambda customer: _created(customer, user),
    )


def _created(customer: Customer, user: Principal) -> JSONResponse:
    answer = _answer(customer, user, status.HTTP_201_CREATED)
    answer.headers["Location"] = f"{router.prefix}/{customer.id}"
    return answer


@router.get("", response_model=Page[CustomerOut])
async def list_customers(
    user: Viewer,
    session: SessionDep,
    active: Annotated[bool | None, Query(description="Only active (true) or inactive (false)")] = None,
    q: Annotated[str | None, Query(max_length=200, description="Prefix of the name or number")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(description="next_cursor of the previous page")] = None,
) -> Page[CustomerOut]:
    """Customers of your office (and global ones) by name, a page at a time."""
    assert user.office_id is not None
    after = tuple(decode_cursor(cursor, 2)) if cursor else None
    filters = repository.ListFilter(active=active, text_prefix=q.strip() if q else None)
    rows = await repository.list_page(session, user.office_id, filters, after, limit + 1)  # type: ignore[arg-type]
    page, more = rows[:limit], len(rows) > limit
    next_cursor = encode_cursor([page[-1].name.lower(), str(page[-1].id)]) if more else None
    items = [CustomerOut.of(c, show_identity_number=user.is_admin) for c in page]
    return Page[CustomerOut](items=items, next_cursor=next_cursor)


SystemPath = Annotated[str, Path(pattern=r"^[a-z][a-z0-9_-]{0,39}$", description="e.g. erp, crm, accounting")]
ValuePath = Annotated[str, Path(min_length=1, max_length=50)]


@router.get("/by-external-id/{system}/{value}", response_model=CustomerOut)
async def get_by_external_id(
    system: SystemPath, value: ValuePath, user: Viewer, session: SessionDep
) -> JSONResponse:
    assert user.office_id is not None
    customer = await repository.get_by_external_id(session, user.office_id, system, value)
    if customer is None:
        raise NotFound(f"No customer with {system} id {value} in your office.")
    return _answer(customer, user)


@router.put("/by-external-id/{system}/{value}", response_model=CustomerOut)
async def upsert_by_external_id(
    system: SystemPath, value: ValuePath, body: CustomerCreate, user: Syncer, uow: UnitOfWorkDep
) -> JSONResponse:
    """Back-office sync: creates the customer (201) or brings it to the values sent (200). Only the
    fields sent change; sending the same twice changes nothing the second time."""
    customer, created = await use_cases.upsert_by_external_id(uow, user, system, value, body.domain_values())
    return _created(customer, user) if created else _answer(customer, user)


@router.get("/{customer_id}", response_model=CustomerOut)
async def get_customer(customer_id: uuid.UUID, user: Viewer, session: SessionDep) -> JSONResponse:
    assert user.office_id is not None
    customer = await repository.get(session, customer_id, user.office_id)
    if customer is None:
        raise NotFound(f"No customer {customer_id} in your office.")
    return _answer(customer, user)


@router.patch("/{customer_id}", response_model=CustomerOut)
async def update_customer(
    customer_id: uuid.UUID, body: CustomerPatch, user: Editor, uow: UnitOfWorkDep, if_match: IfMatch = None
) -> JSONResponse:
    """Change the fields sent. Requires If-Match with the ETag read; 412 if someone changed it since."""
    version = expected_version(if_match, required=True)
    customer = await use_cases.update_customer(uow, user, customer_id, body.domain_values(), version)
    return _answer(customer, user)


@router.post("/{customer_id}/deactivate", response_model=CustomerOut)
async def deactivate_customer(
    customer_id: uuid.UUID, user: Editor, uow: UnitOfWorkDep, if_match: IfMatch = None
) -> JSONResponse:
    """Mark inactive: stays in lists (marked), takes no new project links, can be reactivated."""
    version = expected_version(if_match, required=False)
    return _answer(await use_cases.deactivate_customer(uow, user, customer_id, version), user)


@router.post("/{customer_id}/reactivate", response_model=CustomerOut)
async def reactivate_customer(
    customer_id: uuid.UUID, user: Editor, uow: UnitOfWorkDep, if_match: IfMatch = None
) -> JSONResponse:
    version = expected_version(if_match, required=False)
    return _answer(await use_cases.reactivate_customer(uow, user, customer_id, version), user)


@router.delete("/{customer_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_customer(
    customer_id: uuid.UUID, user: Deleter, uow: UnitOfWorkDep, if_match: IfMatch = None
) -> Response:
    version = expected_version(if_match, required=False)
    await use_cases.delete_customer(uow, user, customer_id, version)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
