"""The customer aggregate and the rules that hold whatever the caller (SPEC §3)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field, fields, replace
from datetime import datetime
from typing import Any, Literal, Protocol

from customer.domain.addresses import Address
from domainkit import Conflict, InvalidField

CustomerType = Literal["company", "private"]
VatMode = Literal["normal", "no_vat"]

MAX_NAME_LENGTH = 300


@dataclass(frozen=True)
class Owner:
    id: str
    name: str


@dataclass(frozen=True)
class TaxId:
    type: str
    number: str


@dataclass(frozen=True)
class Customer:
    id: uuid.UUID
    office_id: str
    customer_number: str | None
    name: str
    type: CustomerType
    created_at: datetime
    created_by: str
    updated_at: datetime
    updated_by: str
    organisation_number: str | None = None
    organisation_number_compact: str | None = None
    """The normalised form: stored, compared for uniqueness, searched."""
    personal_identity_number: str | None = None
    country: str | None = None
    vat_number: str | None = None
    vat_number_compact: str | None = None
    tax_ids: tuple[TaxId, ...] = ()
    segment: str | None = None
    category_ids: tuple[uuid.UUID, ...] = ()
    owner: Owner | None = None
    remarks: str | None = None
    language: str | None = None
    vat_mode: VatMode = "normal"
    custom_fields: dict[str, Any] = field(default_factory=dict)
    external_ids: dict[str, str] = field(default_factory=dict)
    addresses: tuple[Address, ...] = ()
    active: bool = True
    is_global: bool = False
    version: int = 1


EDITABLE_FIELDS = frozenset(
    f.name
    for f in fields(Customer)
    if f.name
    not in {
        "id",
        "office_id",
        "created_at",
        "created_by",
        "updated_at",
        "updated_by",
        "version",
        "active",
        "addresses",
        "organisation_number_compact",
        "vat_number_compact",
    }
)
"""What PATCH may change: `active` changes only through deactivate / reactivate, addresses through their
own endpoints, and the compact number forms follow from the numbers."""

CHANGEABLE_FIELDS = EDITABLE_FIELDS | {"addresses", "organisation_number_compact", "vat_number_compact"}
"""What a use case may change in one step: an edit's fields with their derived forms, and (for a
back-office sync) the whole set of addresses."""


class Transition(Protocol):
    """A change of state that needs no input but who and when: deactivate, reactivate, mark deleted."""

    def __call__(self, customer: Customer, *, changed_by: str, now: datetime) -> Customer: ...


def new_customer(
    *,
    office_id: str,
    customer_number: str | None,
    name: str,
    created_by: str,
    now: datetime,
    **details: Any,
) -> Customer:
    customer = Customer(
        id=uuid.uuid4(),
        office_id=office_id,
        customer_number=customer_number,
        name=name,
        type=details.pop("type", "company"),
        created_at=now,
        created_by=created_by,
        updated_at=now,
        updated_by=created_by,
        **details,
    )
    check_rules(customer)
    return customer


def check_rules(customer: Customer) -> None:
    """Rules every customer obeys, whichever way it was changed."""
    if not customer.name.strip():
        raise InvalidField("name", "must not be blank")
    if len(customer.name) > MAX_NAME_LENGTH:
        raise InvalidField("name", f"must be at most {MAX_NAME_LENGTH} characters")
    if customer.type == "private" and customer.organisation_number:
        raise InvalidField(
            "organisation_number",
            "a private customer has a personal identity number, not an organisation number",
        )
    if customer.type == "company" and customer.personal_identity_number:
        raise InvalidField(
            "personal_identity_number", "a company has an organisation number, not a personal identity number"
        )


def apply_changes(
    customer: Customer,
    changes: dict[str, Any],
    *,
    changed_by: str,
    now: datetime,
    allowed: frozenset[str] = EDITABLE_FIELDS,
) -> tuple[Customer, list[str]]:
    """The customer with `changes` applied, and the names of the fields whose value really changed.

    Nothing that really changed means no new version: an identical PATCH is a no-op.
    """
    unknown = set(changes) - allowed
    if unknown:
        raise InvalidField(sorted(unknown)[0], "cannot be changed this way")
    changed = [name for name, value in changes.items() if getattr(customer, name) != value]
    if not changed:
        return customer, []
    updated = replace(
        customer,
        **{name: changes[name] for name in changed},
        updated_at=now,
        updated_by=changed_by,
        version=customer.version + 1,
    )
    check_rules(updated)
    return updated, sorted(changed)


def deactivate(customer: Customer, *, changed_by: str, now: datetime) -> Customer:
    if not customer.active:
        raise Conflict("The customer is already inactive.")
    return replace(
        customer, active=False, updated_at=now, updated_by=changed_by, version=customer.version + 1
    )


def reactivate(customer: Customer, *, changed_by: str, now: datetime) -> Customer:
    if customer.active:
        raise Conflict("The customer is already active.")
    return replace(customer, active=True, updated_at=now, updated_by=changed_by, version=customer.version + 1)


def mark_deleted(customer: Customer, *, changed_by: str, now: datetime) -> Customer:
    """The last state, as the `customer.deleted` event carries it: one version past the last change."""
    return replace(customer, updated_at=now, updated_by=changed_by, version=customer.version + 1)


def as_json(customer: Customer) -> dict[str, Any]:
    """The customer in the API's field names and JSON values: the one form behind events, answers
    and the change history. It includes the personal identity number; callers drop or mask it."""
    return {
        "id": str(customer.id),
        "office_id": customer.office_id,
        "customer_number": customer.customer_number,
        "name": customer.name,
        "type": customer.type,
        "organisation_number": customer.organisation_number,
        "personal_identity_number": customer.personal_identity_number,
        "country": customer.country,
        "vat_number": customer.vat_number,
        "tax_ids": [{"type": t.type, "number": t.number} for t in customer.tax_ids],
        "segment": customer.segment,
        "category_ids": [str(c) for c in customer.category_ids],
        "owner": {"id": customer.owner.id, "name": customer.owner.name} if customer.owner else None,
        "remarks": customer.remarks,
        "language": customer.language,
        "vat_mode": customer.vat_mode,
        "custom_fields": dict(customer.custom_fields),
        "external_ids": dict(customer.external_ids),
        "addresses": [
            {**vars(a), "id": str(a.id), "contact_id": _str_or_none(a.contact_id)} for a in customer.addresses
        ],
        "active": customer.active,
        "global": customer.is_global,
        "created_at": customer.created_at.isoformat(),
        "created_by": customer.created_by,
        "updated_at": customer.updated_at.isoformat(),
        "updated_by": customer.updated_by,
        "version": customer.version,
    }


def _str_or_none(value: object) -> str | None:
    return None if value is None else str(value)


def mask_identity_number(number: str | None) -> str | None:
    """Show only the last four characters of a personal identity number to non-admins."""
    if not number:
        return number
    visible = number[-4:] if len(number) > 4 else ""
    return "*" * (len(number) - len(visible)) + visible


def with_addresses(
    customer: Customer, addresses: tuple[Address, ...], *, changed_by: str, now: datetime
) -> Customer:
    """The customer with a new set of addresses: a change of the customer like any other."""
    if addresses == customer.addresses:
        return customer
    return replace(
        customer, addresses=addresses, updated_at=now, updated_by=changed_by, version=customer.version + 1
    )
