"""/v1/customers/{id}/addresses: the customer's invoice, visiting, postal and shipping addresses."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Header, status
from fastapi.responses import JSONResponse

from customer.adapters import repository
from customer.api.schemas import AddressCreate, AddressOut, AddressPatch
from customer.domain.addresses import Address, find
from customer.domain.customer import Customer
from customer.service import addresses as use_cases
from servicekit.auth import Permission, Principal
from servicekit.deps import SessionDep, UnitOfWorkDep, require
from servicekit.etag import etag_for, expected_version
from servicekit.problems import NotFound

router = APIRouter(prefix="/v1/customers/{customer_id}/addresses", tags=["addresses"])

Viewer = Annotated[Principal, Depends(require(Permission.VIEW))]
Editor = Annotated[Principal, Depends(require(Permission.EDIT))]
IfMatch = Annotated[str | None, Header(description="ETag of the customer version you read")]


def _address_json(address: Address) -> dict[str, object]:
    return AddressOut.model_validate(vars(address)).model_dump(mode="json")


def _addresses(customer: Customer) -> list[dict[str, object]]:
    return [_address_json(a) for a in customer.addresses]


@router.get("", response_model=list[AddressOut])
async def list_addresses(customer_id: uuid.UUID, user: Viewer, session: SessionDep) -> JSONResponse:
    assert user.office_id is not None
    customer = await repository.get(session, customer_id, user.office_id)
    if customer is None:
        raise NotFound(f"No customer {customer_id} in your office.")
    return JSONResponse(_addresses(customer), headers={"ETag": etag_for(customer.version)})


@router.post("", status_code=status.HTTP_201_CREATED, response_model=AddressOut)
async def add_address(
    customer_id: uuid.UUID, body: AddressCreate, user: Editor, uow: UnitOfWorkDep, if_match: IfMatch = None
) -> JSONResponse:
    """The first address becomes the headquarters; `headquarters: true` moves it to this one."""
    version = expected_version(if_match, required=False)
    customer, address = await use_cases.add_address(uow, user, customer_id, version, body.model_dump())
    return JSONResponse(
        _address_json(address),
        status_code=status.HTTP_201_CREATED,
        headers={
            "ETag": etag_for(customer.version),
            "Location": f"/v1/customers/{customer_id}/addresses/{address.id}",
        },
    )


@router.patch("/{address_id}", response_model=AddressOut)
async def change_address(
    customer_id: uuid.UUID,
    address_id: uuid.UUID,
    body: AddressPatch,
    user: Editor,
    uow: UnitOfWorkDep,
    if_match: IfMatch = None,
) -> JSONResponse:
    version = expected_version(if_match, required=False)
    customer = await use_cases.change_address(uow, user, customer_id, address_id, version, body.changes())
    address = find(customer.addresses, address_id)
    return JSONResponse(
        _address_json(address),
        headers={"ETag": etag_for(customer.version)},
    )


@router.delete("/{address_id}", response_model=list[AddressOut])
async def remove_address(
    customer_id: uuid.UUID, address_id: uuid.UUID, user: Editor, uow: UnitOfWorkDep, if_match: IfMatch = None
) -> JSONResponse:
    """Removing the headquarters hands it to the first remaining address. Answers the remaining addresses."""
    version = expected_version(if_match, required=False)
    customer = await use_cases.remove_address(uow, user, customer_id, address_id, version)
    return JSONResponse(_addresses(customer), headers={"ETag": etag_for(customer.version)})
