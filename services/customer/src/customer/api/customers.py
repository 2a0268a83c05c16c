"""/v1/customers: create, read, list, update, deactivate, reactivate, delete, and the back-office sync."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Path, Query, Response, status

from customer.adapters import repository
from customer.api.schemas import CustomerCreate, CustomerOut, CustomerPatch, CustomerSync
from customer.domain.commands import ChangeCustomerState, CreateCustomer, SyncCustomer, UpdateCustomer
from customer.domain.customer import Customer
from customer.service import customers as use_cases
from domainkit import NotFound
from servicekit.auth import OfficeUser, Permission
from servicekit.deps import Creator, Deleter, Editor, LocalCopiesDep, SessionDep, UnitOfWorkDep, Viewer
from servicekit.etag import IfMatch, IfMatchRequired, etag_for, expected_version
from servicekit.idempotency import IdempotencyDep
from servicekit.openapi import responses
from servicekit.pagination import CursorQuery, Page, decode_cursor, encode_cursor
from servicekit.transactions import answer_once, run_in_transaction

router = APIRouter(prefix="/v1/customers", tags=["customers"])


def _answer(customer: Customer, user: OfficeUser, status_code: int = 200) -> Response:
    # Serialised by pydantic straight to JSON bytes: no dict of the answer is built only to be dumped.
    body = CustomerOut.of(customer, show_identity_number=user.is_admin).model_dump_json(by_alias=True)
    return Response(
        body,
        status_code=status_code,
        media_type="application/json",
        headers={"ETag": etag_for(customer.version)},
    )


def _created(customer: Customer, user: OfficeUser) -> Response:
    answer = _answer(customer, user, status.HTTP_201_CREATED)
    answer.headers["Location"] = f"{router.prefix}/{customer.id}"
    return answer


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=CustomerOut,
    responses=responses(403, 409, 422, 503, success=(201,), idempotent=True),
)
async def create_customer(
    body: CustomerCreate, user: Creator, uow: UnitOfWorkDep, once: IdempotencyDep, copies: LocalCopiesDep
) -> Response:
    """Create a customer, with its addresses if given. With an `Idempotency-Key`, a repeated request
    answers as the first did, also while the first is still running."""
    command = CreateCustomer(body.details())
    return await answer_once(
        uow,
        once,
        lambda uow: use_cases.create_customer(uow, user, command, copies),
        lambda customer: _created(customer, user),
    )


@router.get("", response_model=Page[CustomerOut], responses=responses(403, 422, etag=False))
async def list_customers(
    user: Viewer,
    session: SessionDep,
    active: Annotated[bool | None, Query(description="Only active (true) or inactive (false)")] = None,
    q: Annotated[str | None, Query(max_length=200, description="Prefix of the name or number")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: CursorQuery = None,
) -> Page[CustomerOut]:
    """Customers of your office (and global ones) by name, a page at a time."""
    after = decode_cursor(cursor, (str, uuid.UUID)) if cursor else None
    filters = repository.ListFilter(active=active, text_prefix=q.strip() if q else None)
    rows = await repository.list_page(session, user.office_id, filters, after, limit + 1)
    page, more = rows[:limit], len(rows) > limit
    next_cursor = encode_cursor([page[-1].name.lower(), str(page[-1].id)]) if more else None
    items = [CustomerOut.of(c, show_identity_number=user.is_admin) for c in page]
    return Page[CustomerOut](items=items, next_cursor=next_cursor)


SystemPath = Annotated[str, Path(pattern=r"^[a-z][a-z0-9_-]{0,39}$", description="e.g. erp, crm, accounting")]
ValuePath = Annotated[str, Path(min_length=1, max_length=50)]


@router.get(
    "/by-external-id/{system}/{value}", response_model=CustomerOut, responses=responses(403, 404, 422)
)
async def get_by_external_id(
    system: SystemPath, value: ValuePath, user: Viewer, session: SessionDep
) -> Response:
    customer = await repository.get_by_external_id(session, user.office_id, system, value)
    if customer is None:
        raise NotFound(f"No customer with {system} id {value} in your office.")
    return _answer(customer, user)


@router.put(
    "/by-external-id/{system}/{value}",
    response_model=CustomerOut,
    responses=responses(403, 409, 422, 503, success=(200, 201), model=CustomerOut),
)
async def upsert_by_external_id(
    system: SystemPath,
    value: ValuePath,
    body: CustomerSync,
    user: Creator,
    uow: UnitOfWorkDep,
    copies: LocalCopiesDep,
) -> Response:
    """Back-office sync: creates the customer (201) or brings it to the values sent (200). Only the
    fields sent change (addresses sent replace the customer's); sending the same twice changes nothing
    the second time, and two at once create one customer. Needs the create and the edit permission."""
    user.require(Permission.EDIT)
    command = SyncCustomer(system, value, body.details())
    customer, created = await run_in_transaction(
        uow, lambda uow: use_cases.sync_customer(uow, user, command, copies)
    )
    return _created(customer, user) if created else _answer(customer, user)


@router.get("/{customer_id:uuid}", response_model=CustomerOut, responses=responses(403, 404, 422))
async def get_customer(customer_id: uuid.UUID, user: Viewer, session: SessionDep) -> Response:
    customer = await repository.get(session, customer_id, user.office_id)
    if customer is None:
        raise NotFound(f"No customer {customer_id} in your office.")
    return _answer(customer, user)


@router.patch(
    "/{customer_id:uuid}", response_model=CustomerOut, responses=responses(400, 403, 404, 409, 412, 422, 428)
)
async def update_customer(
    customer_id: uuid.UUID,
    body: CustomerPatch,
    user: Editor,
    uow: UnitOfWorkDep,
    copies: LocalCopiesDep,
    if_match: IfMatchRequired = None,
) -> Response:
    """Change the fields sent. Requires If-Match with the ETag read; 412 if someone changed it since."""
    command = UpdateCustomer(customer_id, body.details(), expected_version(if_match, required=True))
    customer = await run_in_transaction(
        uow, lambda uow: use_cases.update_customer(uow, user, command, copies)
    )
    return _answer(customer, user)


@router.post(
    "/{customer_id}/deactivate", response_model=CustomerOut, responses=responses(400, 403, 404, 409, 412, 422)
)
async def deactivate_customer(
    customer_id: uuid.UUID, user: Editor, uow: UnitOfWorkDep, if_match: IfMatch = None
) -> Response:
    """Mark inactive: stays in lists (marked), takes no new project links, can be reactivated."""
    command = ChangeCustomerState(customer_id, expected_version(if_match, required=False))
    customer = await run_in_transaction(uow, lambda uow: use_cases.deactivate_customer(uow, user, command))
    return _answer(customer, user)


@router.post(
    "/{customer_id}/reactivate", response_model=CustomerOut, responses=responses(400, 403, 404, 409, 412, 422)
)
async def reactivate_customer(
    customer_id: uuid.UUID, user: Editor, uow: UnitOfWorkDep, if_match: IfMatch = None
) -> Response:
    command = ChangeCustomerState(customer_id, expected_version(if_match, required=False))
    customer = await run_in_transaction(uow, lambda uow: use_cases.reactivate_customer(uow, user, command))
    return _answer(customer, user)


@router.delete(
    "/{customer_id:uuid}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=responses(400, 403, 404, 409, 412, 422, success=(204,), etag=False),
)
async def delete_customer(
    customer_id: uuid.UUID, user: Deleter, uow: UnitOfWorkDep, if_match: IfMatch = None
) -> Response:
    """Refused (409) while the customer has project links. A global customer is deleted only by an office
    admin of its home office."""
    command = ChangeCustomerState(customer_id, expected_version(if_match, required=False))
    await run_in_transaction(uow, lambda uow: use_cases.delete_customer(uow, user, command))
    return Response(status_code=status.HTTP_204_NO_CONTENT)
