"""The customer API's JSON shapes (SPEC §3 field names), and their translation into commands.

Requests: every field may be left out of a PATCH, and a field that cannot be empty (`name`, `type`,
`vat_mode`, the lists and maps, `global`) may not be sent as null either: the schema says so, and a null
there is a 422 naming it. Booleans must be JSON booleans. Lists and maps have a documented maximum size
(`MAX_*` below), also a 422 above it. The answer model is the contract's `CustomerState`, so a field is
written once for events and answers alike.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StringConstraints
from pydantic.config import JsonDict

from contracts.customer import Address as AddressState
from contracts.customer import CustomerState
from customer.domain.addresses import AddressKind
from customer.domain.commands import AddressDetails, CustomerDetails
from customer.domain.customer import Customer, Owner, TaxId, as_json, mask_identity_number
from servicekit.api_fields import NOT_BLANK, not_null

MAX_TAX_IDS = 20
MAX_CATEGORY_IDS = 50
MAX_CUSTOM_FIELDS = 100
MAX_EXTERNAL_IDS = 20
MAX_ADDRESSES = 50

Name = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300, pattern=NOT_BLANK)
]
ShortText = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100, pattern=NOT_BLANK)
]
Number = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=50, pattern=NOT_BLANK)
]
LongLine = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]
PostalCode = Annotated[str, StringConstraints(strip_whitespace=True, max_length=20)]
Comment = Annotated[str, StringConstraints(strip_whitespace=True, max_length=1000)]
Remarks = Annotated[str, StringConstraints(max_length=10_000)]
CountryCode = Annotated[
    str, StringConstraints(strip_whitespace=True, to_upper=True, pattern=r"^[A-Za-z]{2}$")
]
LanguageCode = Annotated[
    str, StringConstraints(strip_whitespace=True, pattern=r"^[a-z]{2,3}(-[A-Za-z]{2})?$")
]
SystemName = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[a-z][a-z0-9_-]{0,39}$")]
CustomFieldKey = Annotated[str, StringConstraints(min_length=1, max_length=60)]
CustomFieldText = Annotated[str, StringConstraints(max_length=2000)]
CustomFieldValue = CustomFieldText | int | float | StrictBool | None
TaxIdType = Annotated[
    str,
    StringConstraints(strip_whitespace=True, to_upper=True, min_length=1, max_length=20, pattern=NOT_BLANK),
]


class OwnerIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: ShortText
    name: Name


class TaxIdIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    type: TaxIdType
    number: Number


class _AddressFields(BaseModel):
    model_config = ConfigDict(extra="forbid")

    label: ShortText | None = None
    line1: LongLine | None = None
    line2: LongLine | None = None
    postal_code: PostalCode | None = None
    city: ShortText | None = None
    region: ShortText | None = None
    country: CountryCode | None = Field(default=None, description="ISO 3166-1 alpha-2")
    contact_id: uuid.UUID | None = None
    comment: Comment | None = Field(default=None, description="Delivery instructions and the like.")

    def details(self) -> AddressDetails:
        """The fields the client sent, as a command's address."""
        return AddressDetails(**{name: getattr(self, name) for name in self.model_fields_set})


class AddressCreate(_AddressFields):
    kind: AddressKind
    headquarters: StrictBool = Field(
        default=False, description="Make this the headquarters (the first address always is)."
    )


class AddressPatch(_AddressFields):
    kind: AddressKind = not_null()
    headquarters: Literal[True] = not_null(
        description="true moves the headquarters here; to move it away, set it on another address."
    )


class _CustomerFields(BaseModel):
    """Every field a client may send; what is required differs for create and patch."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    customer_number: Number | None = Field(
        default=None, description="Given by hand where the office numbers by hand; drawn otherwise."
    )
    type: Literal["company", "private"] = not_null(description="company (the default) or private")
    organisation_number: Number | None = None
    personal_identity_number: Number | None = Field(
        default=None, description="Private customers only; masked in answers except for office admins."
    )
    country: CountryCode | None = Field(default=None, description="ISO 3166-1 alpha-2, e.g. NO")
    vat_number: Number | None = None
    tax_ids: list[TaxIdIn] = not_null(max_length=MAX_TAX_IDS)
    segment: ShortText | None = None
    category_ids: list[uuid.UUID] = not_null(max_length=MAX_CATEGORY_IDS)
    owner: OwnerIn | None = None
    remarks: Remarks | None = Field(
        default=None, description="Internal remarks; never shown to portal users."
    )
    language: LanguageCode | None = Field(default=None, description="e.g. nb, sv, en-GB")
    vat_mode: Literal["normal", "no_vat"] = not_null(description="normal (the default) or no_vat")
    custom_fields: dict[CustomFieldKey, CustomFieldValue] = not_null(
        max_length=MAX_CUSTOM_FIELDS,
        description="Key → value; on PATCH only the keys sent change, and null clears one.",
    )
    external_ids: dict[SystemName, Number | None] = not_null(
        max_length=MAX_EXTERNAL_IDS,
        # pydantic states the key pattern as patternProperties, which lets any other key through.
        schema={"additionalProperties": False},
        description='System name → id there, e.g. {"erp": "10042"}; on PATCH null removes one.',
    )
    global_: StrictBool = not_null(alias="global", description="Shared by every office (office admins only).")

    def details(self) -> CustomerDetails:
        """The fields the client sent, in the domain's names and types; the rest NOT_SENT."""
        values: dict[str, Any] = {}
        for name in self.model_fields_set:
            value = getattr(self, name)
            match name:
                case "owner":
                    values["owner"] = Owner(value.id, value.name) if value else None
                case "tax_ids":
                    values["tax_ids"] = tuple(TaxId(t.type, t.number) for t in value)
                case "category_ids":
                    values["category_ids"] = tuple(dict.fromkeys(value))
                case "global_":
                    values["is_global"] = value
                case "addresses":
                    values["addresses"] = tuple(address.details() for address in value)
                case _:
                    values[name] = value
        return CustomerDetails(**values)


class CustomerSync(_CustomerFields):
    """The values a back-office sync brings (PUT by external id): a new customer, or the values to bring
    an existing one to. `addresses` is the whole set: it replaces the customer's addresses, and leaving it
    out keeps them."""

    name: Name
    addresses: list[AddressCreate] = not_null(max_length=MAX_ADDRESSES)


_ONE_KIND_OF_NUMBER: JsonDict = {
    "if": {"properties": {"type": {"const": "private"}}, "required": ["type"]},
    "then": {"properties": {"organisation_number": {"type": "null"}}},
    "else": {"properties": {"personal_identity_number": {"type": "null"}}},
}
"""A private customer has no organisation number and a company (the default) no personal identity number.
Stated for a create only: on a sync or a patch, a type left out is the stored one."""


class CustomerCreate(CustomerSync):
    """A new customer, with its addresses if given."""

    model_config = ConfigDict(json_schema_extra=_ONE_KIND_OF_NUMBER)


class CustomerPatch(_CustomerFields):
    """Only the fields to change; null clears a field that may be empty. Addresses have their own
    endpoints."""

    name: Name = not_null()


class CustomerOut(CustomerState):
    """The customer as the API answers it: its event state, plus the personal identity number (masked
    for everyone but office admins)."""

    model_config = ConfigDict(populate_by_name=True, serialize_by_alias=True)

    personal_identity_number: str | None = Field(description="Masked except for office admins.")

    @classmethod
    def of(cls, customer: Customer, *, show_identity_number: bool) -> CustomerOut:
        body = as_json(customer)
        if not show_identity_number:
            body["personal_identity_number"] = mask_identity_number(customer.personal_identity_number)
        return cls.model_validate(body)


AddressOut = AddressState
