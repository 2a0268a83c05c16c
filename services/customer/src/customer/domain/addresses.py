"""A customer's addresses and the headquarters rule (SPEC §3).

The first address becomes the headquarters; the headquarters can be moved to another address; deleting
the headquarters hands it to the first remaining address, or leaves none when none is left.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from typing import Any, Literal

from domainkit import NotFound

AddressKind = Literal["invoice", "visiting", "postal", "shipping"]
ADDRESS_KINDS: tuple[AddressKind, ...] = ("invoice", "visiting", "postal", "shipping")


@dataclass(frozen=True)
class Address:
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


Addresses = tuple[Address, ...]


def add_address(addresses: Addresses, address: Address) -> Addresses:
    """Append an address; the first one is the headquarters, and one marked so takes it over."""
    becomes_headquarters = not addresses or address.headquarters
    added = replace(address, headquarters=becomes_headquarters)
    kept = tuple(replace(a, headquarters=False) for a in addresses) if becomes_headquarters else addresses
    return (*kept, added)


def change_address(addresses: Addresses, address_id: uuid.UUID, changes: dict[str, Any]) -> Addresses:
    """Change an address's fields. `headquarters: true` moves the headquarters here; `false` on the
    headquarters is refused by the caller's schema, since a customer with addresses keeps one."""
    current = find(addresses, address_id)
    wants_headquarters = changes.pop("headquarters", None)
    changed = replace(current, **changes)
    result = tuple(changed if a.id == address_id else a for a in addresses)
    if wants_headquarters:
        result = move_headquarters(result, address_id)
    return result


def move_headquarters(addresses: Addresses, address_id: uuid.UUID) -> Addresses:
    find(addresses, address_id)
    return tuple(replace(a, headquarters=a.id == address_id) for a in addresses)


def remove_address(addresses: Addresses, address_id: uuid.UUID) -> Addresses:
    removed = find(addresses, address_id)
    remaining = tuple(a for a in addresses if a.id != address_id)
    if removed.headquarters and remaining:
        remaining = (replace(remaining[0], headquarters=True), *remaining[1:])
    return remaining


def find(addresses: Addresses, address_id: uuid.UUID) -> Address:
    for address in addresses:
        if address.id == address_id:
            return address
    raise NotFound(f"The customer has no address {address_id}.")
