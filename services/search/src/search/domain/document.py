"""The customer document the index holds: one per customer, carrying its addresses, its contacts, the
names of its categories, its owner and flags (SPEC §6). Built from the full states the events carried.

Each embedded contact keeps its own version, so what the document holds of a contact can be compared
with any later event about it; the document itself is versioned by the customer's `aggregate_version`.
Personal identity numbers are never indexed (SPEC §3).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from contracts.contact import ContactState
from contracts.customer import CustomerState
from search.domain.numbers import number_forms, phone_forms


def headquarters_city(customer: CustomerState) -> str | None:
    for address in customer.addresses:
        if address.headquarters:
            return address.city
    return customer.addresses[0].city if customer.addresses else None


def contact_part(contact: ContactState) -> dict[str, Any]:
    return {
        "id": str(contact.id),
        "office_id": contact.office_id,
        "version": contact.version,
        "name": f"{contact.first_name} {contact.last_name}",
        "email": contact.email,
        "phones": phone_forms(contact.phone),
        "title": contact.title,
        "active": contact.active,
    }


def customer_document(
    customer: CustomerState,
    contacts: Sequence[ContactState],
    category_names: Mapping[str, str],
) -> dict[str, Any]:
    """The document of a customer with its live contacts; `category_names` maps the category ids known
    to their names (an id not yet known is kept as an id, and named when its category arrives)."""
    organisation = customer.organisation_number if customer.type == "company" else None
    tax_numbers = [tax.number for tax in customer.tax_ids]
    category_ids = [str(category_id) for category_id in customer.category_ids]
    return {
        "id": str(customer.id),
        "office_id": customer.office_id,
        "global": customer.global_,
        "customer_number": customer.customer_number,
        "name": customer.name,
        "type": customer.type,
        "active": customer.active,
        "segment": customer.segment,
        "country": customer.country,
        "city": headquarters_city(customer),
        "cities": sorted({a.city for a in customer.addresses if a.city}),
        "postal_codes": sorted({a.postal_code.replace(" ", "") for a in customer.addresses if a.postal_code}),
        "organisation_number": organisation,
        "vat_number": customer.vat_number,
        "numbers": number_forms(
            customer.vat_number, *tax_numbers, country=customer.country, organisation=organisation
        ),
        "owner_id": customer.owner.id if customer.owner else None,
        "owner_name": customer.owner.name if customer.owner else None,
        "category_ids": category_ids,
        "category_names": [category_names[c] for c in category_ids if c in category_names],
        "addresses": [
            {
                "line1": address.line1,
                "line2": address.line2,
                "postal_code": address.postal_code,
                "city": address.city,
                "region": address.region,
                "country": address.country,
            }
            for address in customer.addresses
        ],
        "contacts": [contact_part(contact) for contact in sorted(contacts, key=lambda c: str(c.id))],
        "updated_at": customer.updated_at.isoformat(),
        "version": customer.version,
    }
