"""Customer events (SPEC §3): each carries the full state of the customer after the change."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from contracts.envelope import EventPayload

CustomerType = Literal["company", "private"]
VatMode = Literal["normal", "no_vat"]
AddressKind = Literal["invoice", "visiting", "postal", "shipping"]


class Owner(BaseModel):
    """The internal user responsible for the customer."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1, max_length=200)
    name: str = Field(min_length=1, max_length=200)


class TaxId(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: str = Field(min_length=1, max_length=20, description="VAT, ORG, SIRET, GST, ...")
    number: str = Field(min_length=1, max_length=50)


class Address(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: uuid.UUID
    kind: AddressKind
    label: str | None = None
    line1: str | None = None
    line2: str | None = None
    postal_code: str | None = None
    city: str | None = None
    region: str | None = None
    country: str | None = None
    contact_id: uuid.UUID | None = None
    comment: str | None = None
    headquarters: bool = False


class CustomerState(BaseModel):
    """The customer as the customer service holds it, as other services keep their copies of it.

    The personal identity number is never part of it: it is sensitive and stays in the customer service.
    """

    id: uuid.UUID
    office_id: str
    customer_number: str | None
    name: str
    type: CustomerType
    organisation_number: str | None = None
    country: str | None = None
    vat_number: str | None = None
    tax_ids: list[TaxId] = Field(default_factory=list)
    segment: str | None = None
    category_ids: list[uuid.UUID] = Field(default_factory=list)
    owner: Owner | None = None
    remarks: str | None = Field(default=None, description="Internal remarks; never shown to portal users.")
    language: str | None = None
    vat_mode: VatMode = "normal"
    custom_fields: dict[str, object] = Field(default_factory=dict)
    external_ids: dict[str, str] = Field(default_factory=dict)
    addresses: list[Address] = Field(default_factory=list)
    active: bool
    global_: bool = Field(alias="global", serialization_alias="global")
    created_at: datetime
    created_by: str
    updated_at: datetime
    updated_by: str
    version: int = Field(ge=1)

    model_config = ConfigDict(extra="forbid", populate_by_name=True, serialize_by_alias=True)


class CustomerCreated(EventPayload):
    event_type = "customer.created"
    customer: CustomerState


class CustomerUpdated(EventPayload):
    event_type = "customer.updated"
    customer: CustomerState
    changed_fields: list[str] = Field(description="JSON names of the fields this change touched.")


class CustomerDeactivated(EventPayload):
    event_type = "customer.deactivated"
    customer: CustomerState


class CustomerReactivated(EventPayload):
    event_type = "customer.reactivated"
    customer: CustomerState


class CustomerDeleted(EventPayload):
    event_type = "customer.deleted"
    customer: CustomerState = Field(description="The last state before deletion.")


CUSTOMER_EVENTS: tuple[type[EventPayload], ...] = (
    CustomerCreated,
    CustomerUpdated,
    CustomerDeactivated,
    CustomerReactivated,
    CustomerDeleted,
)
