"""/v1/contacts: create, read, list, update, deactivate, reactivate, delete."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from contact.adapters import repository
from contact.api.schemas import ContactCreate, ContactOut, ContactPatch
from contact.domain.commands import ChangeContactState, CreateContact, UpdateContact
from contact.domain.contact import ContactAndCustomer
from contact.service import contacts as use_cases
from domainkit import NotFound
from servicekit.deps import Creator, Deleter, Editor, LocalCopiesDep, SessionDep, UnitOfWorkDep, Viewer
from servicekit.etag import IfMatch, IfMatchRequired, etag_for, expected_version
from servicekit.idempotency import IdempotencyDep
from servicekit.openapi import responses
from servicekit.pagination import CursorQuery, Page, decode_cursor, encode_cursor
from servicekit.transactions import answer_once, run_in_transaction

router = APIRouter(prefix="/v1/contacts", tags=["contacts"])


def _answer(found: ContactAndCustomer, status_code: int = 200) -> Response:
    # Serialised by pydantic straight to JSON bytes: no dict of the answer is built only to be dumped.
    return Response(
        ContactOut.of(found).model_dump_json(),
        status_code=status_code,
        media_type="application/json",
        headers={"ETag": etag_for(found.contact.version)},
    )


def _created(found: ContactAndCustomer) -> Response:
    answer = _answer(found, status.HTTP_201_CREATED)
    answer.headers["Location"] = f"{router.prefix}/{found.contact.id}"
    return answer


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=ContactOut,
    responses=responses(403, 409, 422, 503, success=(201,), idempotent=True),
)
async def create_contact(
    body: ContactCreate, user: Creator, uow: UnitOfWorkDep, copies: LocalCopiesDep, once: IdempotencyDep
) -> Response:
    """Add a contact person to a customer of your office (or a global one); an inactive customer takes
    contacts too, and the answer's `customer_active` says so. With an `Idempotency-Key`, a repeated
    request answers as the first did, also while the first is still running."""
    command = CreateContact(body.customer_id, body.details())
    return await answer_once(
        uow, once, lambda uow: use_cases.create_contact(uow, user, copies, command), _created
    )


@router.get("", response_model=Page[ContactOut], responses=responses(403, 404, 422, 503, etag=False))
async def list_contacts(
    user: Viewer,
    session: SessionDep,
    copies: LocalCopiesDep,
    customer_id: Annotated[uuid.UUID | None, Query(description="Only this customer's contacts")] = None,
    include_inactive: Annotated[bool, Query(description="Show inactive contacts too")] = False,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: CursorQuery = None,
) -> Page[ContactOut]:
    """Your office's contacts (of one customer, when given) by last and first name, a page at a time;
    inactive ones only with `include_inactive=true`. A customer your office cannot see is a 404."""
    after = decode_cursor(cursor, (str, str, uuid.UUID)) if cursor else None
    if customer_id is not None:
        if await copies.customer(session, customer_id, user.office_id) is None:
            raise NotFound(f"No customer {customer_id} in your office.")
        # A customer read from its owner just now is kept (a read, but the copy is worth keeping).
        await session.commit()
    filters = repository.ListFilter(customer_id=customer_id, include_inactive=include_inactive)
    rows = await repository.list_page(session, user.office_id, filters, after, limit + 1)
    page, more = rows[:limit], len(rows) > limit
    next_cursor = encode_cursor(repository.sort_position(page[-1].contact)) if more else None
    return Page[ContactOut](items=[ContactOut.of(found) for found in page], next_cursor=next_cursor)


@router.get("/{contact_id:uuid}", response_model=ContactOut, responses=responses(403, 404, 422))
async def get_contact(contact_id: uuid.UUID, user: Viewer, session: SessionDep) -> Response:
    found = await repository.get(session, contact_id, user.office_id)
    if found is None:
        raise NotFound(f"No contact {contact_id} in your office.")
    return _answer(found)


@router.patch(
    "/{contact_id:uuid}",
    response_model=ContactOut,
    responses=responses(400, 403, 404, 409, 412, 422, 428, 503),
)
async def update_contact(
    contact_id: uuid.UUID,
    body: ContactPatch,
    user: Editor,
    uow: UnitOfWorkDep,
    copies: LocalCopiesDep,
    if_match: IfMatchRequired = None,
) -> Response:
    """Change the fields sent. Requires If-Match with the ETag read; 412 if someone changed it since.
    `main: true` takes the mark from the customer's previous main contact (which gets its own event)."""
    command = UpdateContact(contact_id, body.details(), expected_version(if_match, required=True))
    found = await run_in_transaction(uow, lambda uow: use_cases.update_contact(uow, user, copies, command))
    return _answer(found)


@router.post(
    "/{contact_id}/deactivate", response_model=ContactOut, responses=responses(400, 403, 404, 409, 412, 422)
)
async def deactivate_contact(
    contact_id: uuid.UUID, user: Editor, uow: UnitOfWorkDep, if_match: IfMatch = None
) -> Response:
    """Hide the contact from default lists; it is kept and can be reactivated. A main contact gives up
    the mark."""
    command = ChangeContactState(contact_id, expected_version(if_match, required=False))
    found = await run_in_transaction(uow, lambda uow: use_cases.deactivate_contact(uow, user, command))
    return _answer(found)


@router.post(
    "/{contact_id}/reactivate", response_model=ContactOut, responses=responses(400, 403, 404, 409, 412, 422)
)
async def reactivate_contact(
    contact_id: uuid.UUID, user: Editor, uow: UnitOfWorkDep, if_match: IfMatch = None
) -> Response:
    command = ChangeContactState(contact_id, expected_version(if_match, required=False))
    found = await run_in_transaction(uow, lambda uow: use_cases.reactivate_contact(uow, user, command))
    return _answer(found)


@router.delete(
    "/{contact_id:uuid}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=responses(400, 403, 404, 412, 422, success=(204,), etag=False),
)
async def delete_contact(
    contact_id: uuid.UUID, user: Deleter, uow: UnitOfWorkDep, if_match: IfMatch = None
) -> Response:
    command = ChangeContactState(contact_id, expected_version(if_match, required=False))
    await run_in_transaction(uow, lambda uow: use_cases.delete_contact(uow, user, command))
    return Response(status_code=status.HTTP_204_NO_CONTENT)
