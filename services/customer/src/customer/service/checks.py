"""The office's rules applied to the values a create or an update brings (SPEC §3).

Numbers are normalised (the display form is kept, the compact form stored for comparison and search),
organisation numbers are checked against the office's mandatory and unique settings, categories must be
active categories of the office, custom-field values must fit their definitions, and external ids must
not be another customer's.

What the rules read from the database they ask a `Lookups`: `DatabaseLookups` reads each answer when
asked (one statement each, with the locks the rule needs); the import's batch path answers from what it
read for a whole batch at once (`customer.imports.batch`), so both paths run this one set of rules.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from customer.adapters import category_repository, custom_field_repository, repository
from customer.domain.commands import CustomerDetails
from customer.domain.custom_fields import FieldDefinition, validate_values
from customer.domain.customer import Customer, TaxId
from customer.domain.settings import (
    OfficeSettings,
    organisation_number_must_be_unique,
    organisation_number_required,
)
from customer.domain.tax_numbers import normalise_organisation_number, normalise_tax_id, normalise_vat_number
from domainkit import Conflict, InvalidField, sent_fields
from servicekit.db import hold_lock
from servicekit.local_copies import LocalCopies
from servicekit.unit_of_work import UnitOfWork


class Lookups(Protocol):
    """What the office's rules read from the database."""

    async def organisation_number_holder(
        self, office_id: str, compact: str, other_than: uuid.UUID
    ) -> Customer | None:
        """Another customer of the office with this normalised organisation number; the number stays
        held (locked) to the end of the transaction, so two changes bringing it take turns."""
        ...

    async def unknown_or_inactive_categories(
        self, office_id: str, category_ids: Sequence[uuid.UUID]
    ) -> list[uuid.UUID]:
        """The ids that are not an active category of the office (the active ones share-locked)."""
        ...

    async def custom_field_definitions(self, office_id: str) -> dict[str, FieldDefinition]:
        """The office's custom-field definitions by key (share-locked)."""
        ...

    async def external_id_holder(self, office_id: str, system: str, value: str) -> Customer | None:
        """The customer of the office with this external id."""
        ...


class DatabaseLookups:
    """Each answer read when asked: the API's use cases and the import's per-row path."""

    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow

    async def organisation_number_holder(
        self, office_id: str, compact: str, other_than: uuid.UUID
    ) -> Customer | None:
        # Two creates with the same number at once must not both pass the check: serialise them.
        await hold_lock(self.uow.session, organisation_number_lock(office_id, compact))
        return await repository.holder_of_organisation_number(
            self.uow.session, office_id, compact, other_than
        )

    async def unknown_or_inactive_categories(
        self, office_id: str, category_ids: Sequence[uuid.UUID]
    ) -> list[uuid.UUID]:
        return await category_repository.unknown_or_inactive(self.uow.session, office_id, category_ids)

    async def custom_field_definitions(self, office_id: str) -> dict[str, FieldDefinition]:
        return await custom_field_repository.definitions(self.uow.session, office_id)

    async def external_id_holder(self, office_id: str, system: str, value: str) -> Customer | None:
        return await repository.get_by_external_id(self.uow.session, office_id, system, value)


def organisation_number_lock(office_id: str, compact: str) -> str:
    """The advisory lock's name that holds an office's organisation number during a change."""
    return f"orgnr:{office_id}:{compact}"


async def checked_values(
    uow: UnitOfWork,
    settings: OfficeSettings,
    before: Customer | None,
    details: CustomerDetails,
    lookups: Lookups | None = None,
) -> dict[str, Any]:
    """The fields sent, except the customer number and the addresses (the use cases handle those), made
    ready for the domain: normalised (with the compact forms of the numbers beside them), merged where
    they are maps, and checked against the office's rules. `before` is None for a create. The database
    is read through `lookups` (by default each answer when asked)."""
    reads = lookups if lookups is not None else DatabaseLookups(uow)
    values = {
        name: value
        for name, value in sent_fields(details).items()
        if name not in ("customer_number", "addresses")
    }
    customer_type = values.get("type") or (before.type if before else "company")
    country = values.get("country", before.country if before else None)
    country_changed = before is not None and "country" in values and values["country"] != before.country

    # A number is read by its country's rules, so a new country means reading the kept number again.
    for field, normalise in (
        ("organisation_number", normalise_organisation_number),
        ("vat_number", normalise_vat_number),
    ):
        kept = getattr(before, field) if before else None
        if field in values or (country_changed and kept):
            number = values.get(field, kept)
            normalised = normalise(number, country) if number else None
            values[field] = normalised.display if normalised else None
            values[f"{field}_compact"] = normalised.compact if normalised else None
    if "tax_ids" in values:
        values["tax_ids"] = tuple(
            TaxId(t.type, normalise_tax_id(t.type, t.number, country, n).display)
            for n, t in enumerate(values["tax_ids"])
        )

    touches_organisation_number = before is None or "organisation_number" in values or "type" in values
    if touches_organisation_number:
        await _check_organisation_number(reads, settings, before, values, customer_type)
    if "category_ids" in values:
        await _check_categories(reads, settings.office_id, before, values["category_ids"])
    if "custom_fields" in values or before is None:  # a create must bring the office's required fields
        given = values.get("custom_fields") or {}
        values["custom_fields"] = await _checked_custom_fields(reads, settings.office_id, before, given)
    if "external_ids" in values:
        values["external_ids"] = await _checked_external_ids(
            reads, settings.office_id, before, values["external_ids"]
        )
    return values


async def _check_organisation_number(
    reads: Lookups,
    settings: OfficeSettings,
    before: Customer | None,
    values: dict[str, Any],
    customer_type: str,
) -> None:
    compact = values.get(
        "organisation_number_compact", before.organisation_number_compact if before else None
    )
    if organisation_number_required(settings, customer_type) and not compact:
        raise InvalidField("organisation_number", "is required for companies in this office")
    if not compact or not organisation_number_must_be_unique(settings):
        return
    own_id = before.id if before else uuid.UUID(int=0)
    holder = await reads.organisation_number_holder(settings.office_id, compact, own_id)
    if holder is not None:
        raise Conflict(
            f"Organisation number {values.get('organisation_number') or compact} already belongs to "
            f"{holder.name} ({holder.customer_number}); this office keeps organisation numbers unique.",
            errors=[{"field": "organisation_number", "message": "already belongs to another customer"}],
            existing_customer_id=str(holder.id),
        )


async def _check_categories(
    reads: Lookups, office_id: str, before: Customer | None, category_ids: tuple[uuid.UUID, ...]
) -> None:
    # A category deactivated later stays on the customers that have it; only new assignments must be active.
    added = [c for c in category_ids if not before or c not in before.category_ids]
    refused = await reads.unknown_or_inactive_categories(office_id, added)
    if refused:
        position = category_ids.index(refused[0])
        raise InvalidField(
            f"category_ids.{position}", f"{refused[0]} is not an active category of this office"
        )


async def _checked_custom_fields(
    reads: Lookups, office_id: str, before: Customer | None, given: dict[str, Any]
) -> dict[str, Any]:
    definitions = await reads.custom_field_definitions(office_id)
    validated = validate_values(definitions, given, creating=before is None)
    # An update changes the keys it names (null clears one); the others stay.
    merged = {**(before.custom_fields if before else {}), **validated}
    return {key: value for key, value in merged.items() if value is not None}


async def _checked_external_ids(
    reads: Lookups, office_id: str, before: Customer | None, given: dict[str, str | None]
) -> dict[str, str]:
    merged = {**(before.external_ids if before else {}), **given}
    result = {system: value for system, value in merged.items() if value is not None}
    for system, value in result.items():
        if before is not None and before.external_ids.get(system) == value:
            continue  # already this customer's: nothing to check
        holder = await reads.external_id_holder(office_id, system, value)
        if holder is not None and (before is None or holder.id != before.id):
            raise Conflict(
                f"The {system} id {value} already belongs to {holder.name} ({holder.customer_number}).",
                errors=[
                    {"field": f"external_ids.{system}", "message": "already belongs to another customer"}
                ],
                existing_customer_id=str(holder.id),
            )
    return result


async def check_address_contacts(
    uow: UnitOfWork,
    copies: LocalCopies,
    office_id: str,
    before: Customer | None,
    after: Customer,
    field_of: Callable[[int], str] = lambda position: f"addresses.{position}.contact_id",
) -> None:
    """Every contact an address newly names must be a contact of this customer in the user's office,
    as the contact copy knows it (read from the contact service when it has not arrived yet). A contact
    an address already named is not asked about again."""
    named_before = {address.contact_id for address in before.addresses} if before else set()
    for position, address in enumerate(after.addresses):
        if address.contact_id is None or address.contact_id in named_before:
            continue
        contact = await copies.contact(uow.session, address.contact_id, office_id)
        if contact is None or contact.customer_id != after.id:
            raise InvalidField(field_of(position), f"{address.contact_id} is not a contact of this customer")
