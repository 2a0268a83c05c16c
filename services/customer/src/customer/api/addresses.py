"""/v1/customers/{id}/addresses: the customer's invoice, visiting, postal and shipping addresses."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, status
from fastapi.responses import JSONResponse

from customer.adapters import repository
from customer.api.schemas import AddressCreate, AddressOut, AddressPatch
from customer.domain.addresses import Address, find
from customer.domain.commands import AddAddress, ChangeAddress, RemoveAddress
from customer.domain.customer import Customer
from customer.service import addresses as use_cases
from domainkit import NotFound
from servicekit.deps import Editor, LocalCopiesDep, SessionDep, UnitOfWorkDep, Viewer
from servicekit.etag import IfMatch, etag_for, expected_version
from servicekit.openapi import responses
from servicekit.transactions import run_in_transaction

router = APIRouter(prefix="/v1/customers/{customer_id}/addresses", tags=["addresses"])
_CHANGES = responses(400, 403, 404, 412, 422)
_NAMING_A_CONTACT = responses(400, 403, 404, 412, 422, 503)
"""503: an address may name a contact that must first be read from the contact service."""


def _address_json(address: Address) -> dict[str, object]:
    return AddressOut.model_validate(vars(address)).model_dump(mode="json")


def _addresses(customer: Customer) -> list[dict[str, object]]:
    return [_address_json(a) for a in customer.addresses]


@router.get("", response_model=list[AddressOut], responses=responses(403, 404, 422))
async def list_addresses(customer_id: uuid.UUID, user: Viewer, session: SessionDep) -> JSONResponse:
    customer = await repository.get(session, customer_id, user.office_id)
    if customer is None:
        raise NotFound(f"No customer {customer_id} in your office.")
    return JSONResponse(_addresses(customer), headers={"ETag": etag_for(customer.version)})


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=AddressOut,
    responses=responses(400, 403, 404, 412, 422, 503, success=(201,)),
)
async def add_address(
    customer_id: uuid.UUID,
    body: AddressCreate,
    user: Editor,
    uow: UnitOfWorkDep,
    copies: LocalCopiesDep,
    if_match: IfMatch = None,
) -> JSONResponse:
    """The first address becomes the headquarters; `headquarters: true` moves it to this one."""
    command = AddAddress(customer_id, body.details(), expected_version(if_match, required=False))
    customer, address = await run_in_transaction(
        uow, lambda uow: use_cases.add_address(uow, user, command, copies)
    )
    return JSONResponse(
        _address_json(address),
        status_code=status.HTTP_201_CREATED,
        headers={
            "ETag": etag_for(customer.version),
            "Location": f"/v1/customers/{customer_id}/addresses/{address.id}",
        },
    )


@router.patch("/{address_id}", response_model=AddressOut, responses=_NAMING_A_CONTACT)
async def change_address(
    customer_id: uuid.UUID,
    address_id: uuid.UUID,
    body: AddressPatch,
    user: Editor,
    uow: UnitOfWorkDep,
    copies: LocalCopiesDep,
    if_match: IfMatch = None,
) -> JSONResponse:
    command = ChangeAddress(
        customer_id, address_id, body.details(), expected_version(if_match, required=False)
    )
    customer = await run_in_transaction(uow, lambda uow: use_cases.change_address(uow, user, command, copies))
    address = find(customer.addresses, address_id)
    return JSONResponse(_address_json(address), headers={"ETag": etag_for(customer.version)})


@router.delete("/{address_id}", response_model=list[AddressOut], responses=_CHANGES)
async def remove_address(
    customer_id: uuid.UUID,
    address_id: uuid.UUID,
    user: Editor,
    uow: UnitOfWorkDep,
    copies: LocalCopiesDep,
    if_match: IfMatch = None,
) -> JSONResponse:
    """Removing the headquarters hands it to the first remaining address. Answers the remaining addresses."""
    command = RemoveAddress(customer_id, address_id, expected_version(if_match, required=False))
    customer = await run_in_transaction(uow, lambda uow: use_cases.remove_address(uow, user, command, copies))
    return JSONResponse(_addresses(customer), headers={"ETag": etag_for(customer.version)})
