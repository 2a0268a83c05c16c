"""Office settings that shape the customer register (SPEC §3 numbering and organisation numbers)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Literal

from domainkit import InvalidField

Numbering = Literal["auto", "manual"]
MAX_NUMBER_LENGTH = 50


@dataclass(frozen=True)
class OfficeSettings:
    office_id: str
    customer_numbering: Numbering = "auto"
    customer_number_min_length: int = 1
    customer_number_max_length: int = 20
    organisation_number_mandatory: bool = False
    organisation_number_unique: bool = False
    version: int = 1


def change_settings(settings: OfficeSettings, changes: dict[str, Any]) -> OfficeSettings:
    changed = replace(settings, **changes, version=settings.version + 1)
    low, high = changed.customer_number_min_length, changed.customer_number_max_length
    if not 1 <= low <= MAX_NUMBER_LENGTH:
        raise InvalidField("customer_number_min_length", f"must be between 1 and {MAX_NUMBER_LENGTH}")
    if not 1 <= high <= MAX_NUMBER_LENGTH:
        raise InvalidField("customer_number_max_length", f"must be between 1 and {MAX_NUMBER_LENGTH}")
    if low > high:
        raise InvalidField(
            "customer_number_min_length", "must not be greater than customer_number_max_length"
        )
    return changed


def check_customer_number(number: str, settings: OfficeSettings) -> None:
    """A number given by hand must fit the office's length limits."""
    low, high = settings.customer_number_min_length, settings.customer_number_max_length
    if not low <= len(number) <= high:
        raise InvalidField("customer_number", f"must be {low} to {high} characters long in this office")


def organisation_number_required(settings: OfficeSettings, customer_type: str) -> bool:
    """Mandatory never applies to private customers (they have none)."""
    return settings.organisation_number_mandatory and customer_type == "company"


def organisation_number_must_be_unique(settings: OfficeSettings) -> bool:
    # Unique allows blanks unless mandatory: blanks are never compared, and mandatory forbids them anyway.
    return settings.organisation_number_unique
