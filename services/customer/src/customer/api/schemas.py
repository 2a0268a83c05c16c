"""The customer API's JSON shapes (SPEC §3 field names), and their translation to and from the domain."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from customer.domain.addresses import AddressKind
from customer.domain.customer import Customer, Owner, TaxId, as_json, mask_identity_number
from servicekit.problems import InvalidField


def _text(max_length: int) -> Any:
    return Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=max_length)]


Name = _text(300)
ShortText = _text(100)
Number = _text(50)
CountryCode = Annotated[
    str, StringConstraints(strip_whitespace=True, to_upper=True, pattern=r"^[A-Za-z]{2}$")
]
LanguageCode = Annotated[
    str, StringConstraints(strip_whitespace=True, pattern=r"^[a-z]{2,3}(-[A-Za-z]{2})?$")
]
SystemName = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[a-z][a-z0-9_-]{0,39}$")]
CustomFieldValue = str | int | float | bool | None


class OwnerJson(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: ShortText
    name: Name


class TaxIdJson(BaseModel):
    model_config = ConfigDict(extra="forbid")
    type: Annotated[str, StringConstraints(strip_whitespace=True, to_upper=True, min_length=1, max_length=20)]
    number: Number


class _CustomerFields(BaseModel):
    """Every field a client may send; what is required and what defaults differs for create and patch."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    name: Name | None = None
    customer_number: Number | None = None
    type: Literal["company", "private"] | None = None
    organisation_number: Number | None = None
    personal_identity_number: Number | None = None
    country: CountryCode | None = Field(default=None, description="ISO 3166-1 alpha-2, e.g. NO")
    vat_number: Number | None = None
    tax_ids: list[TaxIdJson] | None = None
    segment: ShortText | None = None
    category_ids: list[uuid.UUID] | None = None
    owner: OwnerJson | None = None
    remarks: Annotated[str, StringConstraints(max_length=10_000)] | None = Field(
        default=None, description="Internal remarks; never shown to portal users."
    )
    language: LanguageCode | None = Field(default=None, description="e.g. nb, sv, en-GB")
    vat_mode: Literal["normal", "no_vat"] | None = None
    custom_fields: dict[Annotated[str, StringConstraints(max_length=60)], CustomFieldValue] | None = Field(
        default=None, description="Key → value; on PATCH only the keys sent change, and null clears one."
    )
    external_ids: dict[SystemName, Number | None] | None = Field(
        default=None, description='System name → id there, e.g. {"erp": "10042"}; on PATCH null removes one.'
    )
    global_: bool | None = Field(default=None, alias="global")

    def domain_values(self) -> dict[str, Any]:
        """The fields the client sent, in the domain's names and types."""
        values: dict[str, Any] = {}
        for name in self.model_fields_set:
            value = getattr(self, name)
            match name:
                case "owner":
                    values["owner"] = Owner(value.id, value.name) if value else None
                case "tax_ids":
                    values["tax_ids"] = tuple(TaxId(t.type, t.number) for t in value or [])
                case "category_ids":
                    values["category_ids"] = tuple(dict.fromkeys(value or []))
                case "custom_fields" | "external_ids":
                    values[name] = dict(value or {})
                case "global_":
                    values["is_global"] = bool(value)
                case _:
                    values[name] = value
        return values


class CustomerCreate(_CustomerFields):
    name: Name  # type: ignore[assignment]


class CustomerPatch(_CustomerFields):
    """Only the fields to change. A field sent as null is cleared; `name` and `type` cannot be cleared."""

    def domain_values(self) -> dict[str, Any]:
        values = super().domain_values()
        for required in ("name", "type", "vat_mode"):
            if required in values and values[required] is None:
                raise InvalidField(required, "cannot be cleared")
        return values


class _AddressFields(BaseModel):
    model_config = ConfigDict(extra="forbid")

    label: ShortText | None = None
    line1: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] | None = None
    line2: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] | None = None
    postal_code: Annotated[str, StringConstraints(strip_whitespace=True, max_length=20)] | None = None
    city: ShortText | None = None
    region: ShortText | None = None
    country: CountryCode | None = Field(default=None, description="ISO 3166-1 alpha-2")
    contact_id: uuid.UUID | None = None
    comment: Annotated[str, StringConstraints(strip_whitespace=True, max_length=1000)] | None = Field(
        default=None, description="Delivery instructions and the like."
    )


class AddressCreate(_AddressFields):
    kind: AddressKind
    headquarters: bool = Field(
        default=False, description="Make this the headquarters (the first address is)."
    )


class AddressPatch(_AddressFields):
    kind: AddressKind | None = None
    headquarters: Literal[True] | None = Field(
        default=None,
        description="true moves the headquarters here; to move it away, set it on another address.",
    )

    def changes(self) -> dict[str, Any]:
        values = {name: getattr(self, name) for name in self.model_fields_set}
        if "kind" in values and values["kind"] is None:
            raise InvalidField("kind", "cannot be cleared")
        return values


class AddressOut(AddressCreate):
    model_config = ConfigDict(extra="ignore")
    id: uuid.UUID


class CustomerOut(BaseModel):
    model_config = ConfigDict(populate_by_name=True, serialize_by_alias=True)

    id: uuid.UUID
    office_id: str
    customer_number: str | None
    name: str
    type: Literal["company", "private"]
    organisation_number: str | None
    personal_identity_number: str | None = Field(description="Masked except for office admins.")
    country: str | None
    vat_number: str | None
    tax_ids: list[TaxIdJson]
    segment: str | None
    category_ids: list[uuid.UUID]
    owner: OwnerJson | None
    addresses: list[AddressOut]
    remarks: str | None
    language: str | None
    vat_mode: Literal["normal", "no_vat"]
    custom_fields: dict[str, Any]
    external_ids: dict[str, str]
    active: bool
    global_: bool = Field(alias="global")
    created_at: datetime
    created_by: str
    updated_at: datetime
    updated_by: str
    version: int

    @classmethod
    def of(cls, customer: Customer, *, show_identity_number: bool) -> CustomerOut:
        body = as_json(customer)
        if not show_identity_number:
            body["personal_identity_number"] = mask_identity_number(customer.personal_identity_number)
        return cls.model_validate(body)
