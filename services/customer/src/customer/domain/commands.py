"""What a caller asks of the customer register: the typed inputs of the use cases.

A field the client did not send is `NOT_SENT`, which differs from `None` (sent as null: clear it). The API
builds these from its request models; the import and the back-office sync build the same ones, so every
way in meets the same rules.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass

from customer.domain.addresses import AddressKind
from customer.domain.custom_fields import FieldType
from customer.domain.customer import CustomerType, Owner, TaxId, VatMode
from customer.domain.settings import Numbering
from domainkit import NOT_SENT, NotSent

CustomFieldValue = str | int | float | bool | None


@dataclass(frozen=True, kw_only=True)
class AddressDetails:
    """An address as sent: whole for a new address, only the fields to change for an edit."""

    kind: AddressKind | NotSent = NOT_SENT
    label: str | NotSent | None = NOT_SENT
    line1: str | NotSent | None = NOT_SENT
    line2: str | NotSent | None = NOT_SENT
    postal_code: str | NotSent | None = NOT_SENT
    city: str | NotSent | None = NOT_SENT
    region: str | NotSent | None = NOT_SENT
    country: str | NotSent | None = NOT_SENT
    contact_id: uuid.UUID | NotSent | None = NOT_SENT
    comment: str | NotSent | None = NOT_SENT
    headquarters: bool | NotSent = NOT_SENT
    """True makes this address the headquarters (the first address always is)."""


@dataclass(frozen=True, kw_only=True)
class CustomerDetails:
    """A customer's fields as sent by a create, an update or a back-office sync."""

    name: str | NotSent = NOT_SENT
    customer_number: str | NotSent | None = NOT_SENT
    type: CustomerType | NotSent = NOT_SENT
    organisation_number: str | NotSent | None = NOT_SENT
    personal_identity_number: str | NotSent | None = NOT_SENT
    country: str | NotSent | None = NOT_SENT
    vat_number: str | NotSent | None = NOT_SENT
    tax_ids: tuple[TaxId, ...] | NotSent = NOT_SENT
    segment: str | NotSent | None = NOT_SENT
    category_ids: tuple[uuid.UUID, ...] | NotSent = NOT_SENT
    owner: Owner | NotSent | None = NOT_SENT
    remarks: str | NotSent | None = NOT_SENT
    language: str | NotSent | None = NOT_SENT
    vat_mode: VatMode | NotSent = NOT_SENT
    custom_fields: Mapping[str, CustomFieldValue] | NotSent = NOT_SENT
    """Only the keys sent change; None clears one."""
    external_ids: Mapping[str, str | None] | NotSent = NOT_SENT
    """Only the systems sent change; None removes one."""
    is_global: bool | NotSent = NOT_SENT
    addresses: tuple[AddressDetails, ...] | NotSent = NOT_SENT
    """On a create or a sync: the whole set, replacing what the customer had. Edits have their own
    endpoints."""


@dataclass(frozen=True)
class CreateCustomer:
    details: CustomerDetails


@dataclass(frozen=True)
class UpdateCustomer:
    customer_id: uuid.UUID
    details: CustomerDetails
    expected_version: int | None


@dataclass(frozen=True)
class SyncCustomer:
    """Back-office sync: create the customer with this external id, or bring it to the values sent."""

    system: str
    value: str
    details: CustomerDetails


@dataclass(frozen=True)
class ChangeCustomerState:
    """Deactivate, reactivate or delete a customer, optionally only if it is still at a version."""

    customer_id: uuid.UUID
    expected_version: int | None


@dataclass(frozen=True)
class AddAddress:
    customer_id: uuid.UUID
    address: AddressDetails
    expected_version: int | None


@dataclass(frozen=True)
class ChangeAddress:
    customer_id: uuid.UUID
    address_id: uuid.UUID
    changes: AddressDetails
    expected_version: int | None


@dataclass(frozen=True)
class RemoveAddress:
    customer_id: uuid.UUID
    address_id: uuid.UUID
    expected_version: int | None


@dataclass(frozen=True)
class RegisterProjectLink:
    customer_id: uuid.UUID
    system: str
    reference: str
    title: str | None


@dataclass(frozen=True, kw_only=True)
class SettingsChanges:
    customer_numbering: Numbering | NotSent = NOT_SENT
    customer_number_min_length: int | NotSent = NOT_SENT
    customer_number_max_length: int | NotSent = NOT_SENT
    organisation_number_mandatory: bool | NotSent = NOT_SENT
    organisation_number_unique: bool | NotSent = NOT_SENT


@dataclass(frozen=True, kw_only=True)
class DefineCustomField:
    key: str
    label: str
    type: FieldType
    options: tuple[str, ...] = ()
    required: bool = False
    position: int = 0


@dataclass(frozen=True, kw_only=True)
class CustomFieldChanges:
    label: str | NotSent = NOT_SENT
    type: FieldType | NotSent = NOT_SENT
    options: tuple[str, ...] | NotSent = NOT_SENT
    required: bool | NotSent = NOT_SENT
    position: int | NotSent = NOT_SENT
