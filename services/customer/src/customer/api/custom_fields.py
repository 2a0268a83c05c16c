"""/v1/custom-fields: the office's custom-field definitions (key, label, type, options, required).

Everyone in the office reads them; only an office admin changes them. Customers' values are validated
against them (see `customer.domain.custom_fields`). A change never silently breaks a stored value: a new
type or a removed option that some customer's value would not fit, making a field required while some
customers have no value, and deleting a field customers still have values for are each refused with a
409 saying how many customers are in the way (and which values). Change or clear those customers' values
first (PATCH /v1/customers/{id} with `"custom_fields": {"<key>": null}` clears one).
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

from fastapi import APIRouter, Path, Response, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, StrictBool

from customer.adapters import custom_field_repository
from customer.domain.commands import CustomFieldChanges, DefineCustomField
from customer.domain.custom_fields import (
    KEY_PATTERN,
    MAX_LABEL_LENGTH,
    MAX_OPTION_LENGTH,
    MAX_OPTIONS,
    MAX_POSITION,
    FieldDefinition,
    FieldType,
)
from customer.service import custom_fields as use_cases
from domainkit import NotFound
from servicekit.api_fields import NOT_BLANK, WholeNumber, not_null
from servicekit.deps import Admin, SessionDep, UnitOfWorkDep, Viewer
from servicekit.etag import IfMatch, etag_for, expected_version
from servicekit.openapi import responses
from servicekit.pagination import Page
from servicekit.transactions import run_in_transaction

router = APIRouter(prefix="/v1/custom-fields", tags=["custom fields"])
Option = Annotated[str, Field(max_length=MAX_OPTION_LENGTH, pattern=NOT_BLANK)]

KeyPath = Annotated[str, Path(max_length=40, description="The field's key")]
_CHANGES = responses(400, 403, 404, 409, 412, 422)


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
        max_length=40,
        pattern=KEY_PATTERN.pattern,
        description="The name of the value in a customer's custom_fields: a-z, 0-9 and _, starting with a "
        "letter, at most 40 characters; unique in the office and never changed",
        examples=["contract_level"],
    )
    label: str = Field(
        max_length=MAX_LABEL_LENGTH,
        pattern=NOT_BLANK,
        description="What users see, 1 to 100 characters",
        examples=["Contract level"],
    )
    type: FieldType
    options: list[Option] = Field(
        default_factory=list,
        max_length=MAX_OPTIONS,
        description="For select only: the values to choose from (at least one)",
    )
    required: StrictBool = Field(default=False, description="Every new customer must have a value")
    position: WholeNumber = Field(
        default=0, ge=0, le=MAX_POSITION, description=f"Order on the customer card, 0 to {MAX_POSITION}"
    )

    def command(self) -> DefineCustomField:
        return DefineCustomField(**{**self.model_dump(), "options": tuple(self.options)})


class FieldDefinitionPatch(BaseModel):
    """Only the attributes to change. The key never changes; null clears nothing here."""

    model_config = ConfigDict(extra="forbid")

    label: str = not_null(max_length=MAX_LABEL_LENGTH, pattern=NOT_BLANK)
    type: FieldType = not_null(description="Refused while a customer's value would not fit the new type")
    options: list[Option] = not_null(
        max_length=MAX_OPTIONS,
        description="The whole new list; removing an option a customer has is refused",
    )
    required: StrictBool = not_null(
        description="Making a field required is refused while a customer has no value"
    )
    position: WholeNumber = not_null(ge=0, le=MAX_POSITION)

    def changes(self) -> CustomFieldChanges:
        sent = {name: getattr(self, name) for name in self.model_fields_set}
        if "options" in sent:
            sent["options"] = tuple(sent["options"])
        return CustomFieldChanges(**sent)


def _out(definition: FieldDefinition) -> FieldDefinitionOut:
    return FieldDefinitionOut.model_validate(asdict(definition))


def _answer(definition: FieldDefinition, status_code: int = 200) -> JSONResponse:
    body = _out(definition).model_dump(mode="json")
    return JSONResponse(body, status_code=status_code, headers={"ETag": etag_for(definition.version)})


@router.get("", response_model=Page[FieldDefinitionOut], responses=responses(403, etag=False))
async def list_custom_fields(user: Viewer, session: SessionDep) -> Page[FieldDefinitionOut]:
    """The office's definitions by position, then key; the whole list in one page."""
    found = await custom_field_repository.list_definitions(session, user.office_id)
    return Page[FieldDefinitionOut](items=[_out(d) for d in found])


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=FieldDefinitionOut,
    responses=responses(403, 409, 422, success=(201,)),
)
async def create_custom_field(body: FieldDefinitionCreate, user: Admin, uow: UnitOfWorkDep) -> JSONResponse:
    """Office admins only. A key the office already has is a 409 naming `key`; a required field is
    refused while the office has customers (create it optional, fill in the values, then require it)."""
    command = body.command()
    definition = await run_in_transaction(uow, lambda uow: use_cases.create_definition(uow, user, command))
    answer = _answer(definition, status.HTTP_201_CREATED)
    answer.headers["Location"] = f"{router.prefix}/{definition.key}"
    return answer


@router.get("/{key}", response_model=FieldDefinitionOut, responses=responses(403, 404, 422))
async def get_custom_field(key: KeyPath, user: Viewer, session: SessionDep) -> JSONResponse:
    definition = await custom_field_repository.get(session, user.office_id, key)
    if definition is None:
        raise NotFound(f"No custom field {key} in your office.")
    return _answer(definition)


@router.patch("/{key}", response_model=FieldDefinitionOut, responses=_CHANGES)
async def change_custom_field(
    key: KeyPath, body: FieldDefinitionPatch, user: Admin, uow: UnitOfWorkDep, if_match: IfMatch = None
) -> JSONResponse:
    """Office admins only. If-Match is honoured when given (412 when stale). Refused with 409 when a
    stored value would no longer fit, or when made required while some customer has no value."""
    changes, version = body.changes(), expected_version(if_match, required=False)
    definition = await run_in_transaction(
        uow, lambda uow: use_cases.change_definition(uow, user, key, changes, version)
    )
    return _answer(definition)


@router.delete(
    "/{key}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=responses(400, 403, 404, 409, 412, 422, success=(204,), etag=False),
)
async def delete_custom_field(
    key: KeyPath, user: Admin, uow: UnitOfWorkDep, if_match: IfMatch = None
) -> Response:
    """Office admins only, and only while no customer has a value for the field: otherwise 409 with
    `values_in_use` (clear those values first)."""
    version = expected_version(if_match, required=False)
    await run_in_transaction(uow, lambda uow: use_cases.delete_definition(uow, user, key, version))
    return Response(status_code=status.HTTP_204_NO_CONTENT)
