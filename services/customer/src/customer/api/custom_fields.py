"""/v1/custom-fields: the office's custom-field definitions (key, label, type, options, required).

Everyone in the office reads them; only an office admin changes them. Customers' values are validated
against them (see `customer.domain.custom_fields`). A change never silently breaks a stored value: a new
type or a removed option that some customer's value would not fit, making a field required while some
customers have no value, and deleting a field customers still have values for are each refused with a
409 saying how many customers are in the way (and which values). Change or clear those customers' values
first (PATCH /v1/customers/{id} with `"custom_fields": {"<key>": null}` clears one).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Response, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from customer.adapters import custom_field_repository
from customer.domain.custom_fields import FieldDefinition, FieldType
from customer.service import custom_fields as use_cases
from servicekit.auth import Permission, Principal
from servicekit.deps import SessionDep, UnitOfWorkDep, require
from servicekit.etag import etag_for, expected_version
from servicekit.pagination import Page
from servicekit.problems import NotFound

router = APIRouter(prefix="/v1/custom-fields", tags=["custom fields"])

Viewer = Annotated[Principal, Depends(require(Permission.VIEW))]
Admin = Annotated[Principal, Depends(require(Permission.ADMINISTER_OFFICE))]
IfMatch = Annotated[str | None, Header(description='ETag of the version you read, e.g. "3"')]


class FieldDefinitionOut(BaseModel):
    key: str
    label: str
    type: FieldType
    options: list[str]
    required: bool
    position: int
    version: int


class FieldDefinitionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    key: str = Field(
        description="The name of the value in a customer's custom_fields: a-z, 0-9 and _, starting with a "
        "letter, at most 40 characters; unique in the office and never changed",
        examples=["contract_level"],
    )
    label: str = Field(description="What users see, 1 to 100 characters", examples=["Contract level"])
    type: FieldType
    options: list[str] = Field(
        default_factory=list, description="For select only: the values to choose from (at least one)"
    )
    required: bool = Field(default=False, description="Every new customer must have a value")
    position: int = Field(default=0, description="Order on the customer card, 0 to 10000")


class FieldDefinitionPatch(BaseModel):
    """Only the attributes to change. The key never changes; null clears nothing here."""

    model_config = ConfigDict(extra="forbid")

    label: str | None = None
    type: FieldType | None = Field(
        default=None, description="Refused while a customer's value would not fit the new type"
    )
    options: list[str] | None = Field(
        default=None, description="The whole new list; removing an option a customer has is refused"
    )
    required: bool | None = Field(
        default=None, description="Making a field required is refused while a customer has no value"
    )
    position: int | None = None


def _out(definition: FieldDefinition) -> FieldDefinitionOut:
    return FieldDefinitionOut(
        key=definition.key,
        label=definition.label,
        type=definition.type,
        options=list(definition.options),
        required=definition.required,
        position=definition.position,
        version=definition.version,
    )


def _answer(definition: FieldDefinition, status_code: int = 200) -> JSONResponse:
    body = _out(definition).model_dump(mode="json")
    return JSONResponse(body, status_code=status_code, headers={"ETag": etag_for(definition.version)})


@router.get("", response_model=Page[FieldDefinitionOut])
async def list_custom_fields(user: Viewer, session: SessionDep) -> Page[FieldDefinitionOut]:
    """The office's definitions by position, then key; the whole list in one page."""
    assert user.office_id is not None
    found = await custom_field_repository.list_definitions(session, user.office_id)
    return Page[FieldDefinitionOut](items=[_out(d) for d in found])


@router.post("", status_code=status.HTTP_201_CREATED, response_model=FieldDefinitionOut)
async def create_custom_field(body: FieldDefinitionCreate, user: Admin, uow: UnitOfWorkDep) -> JSONResponse:
    """Office admins only. A key the office already has is a 409 naming `key`; a required field is
    refused while the office has customers (create it optional, fill in the values, then require it)."""
    definition = await use_cases.create_definition(uow, user, body.model_dump())
    answer = _answer(definition, status.HTTP_201_CREATED)
    answer.headers["Location"] = f"{router.prefix}/{definition.key}"
    return answer


@router.get("/{key}", response_model=FieldDefinitionOut)
async def get_custom_field(key: str, user: Viewer, session: SessionDep) -> JSONResponse:
    assert user.office_id is not None
    definition = await custom_field_repository.get(session, user.office_id, key)
    if definition is None:
        raise NotFound(f"No custom field {key} in your office.")
    return _answer(definition)


@router.patch("/{key}", response_model=FieldDefinitionOut)
async def change_custom_field(
    key: str, body: FieldDefinitionPatch, user: Admin, uow: UnitOfWorkDep, if_match: IfMatch = None
) -> JSONResponse:
    """Office admins only. If-Match is honoured when given (412 when stale). Refused with 409 when a
    stored value would no longer fit, or when made required while some customer has no value."""
    version = expected_version(if_match, required=False)
    changes = body.model_dump(exclude_unset=True)
    return _answer(await use_cases.change_definition(uow, user, key, changes, version))


@router.delete("/{key}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_custom_field(
    key: str, user: Admin, uow: UnitOfWorkDep, if_match: IfMatch = None
) -> Response:
    """Office admins only, and only while no customer has a value for the field: otherwise 409 with
    `values_in_use` (clear those values first)."""
    version = expected_version(if_match, required=False)
    await use_cases.delete_definition(uow, user, key, version)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
