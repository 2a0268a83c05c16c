"""Customer categories of an office (SPEC §3): a name, and whether it may be given to customers.

A category in use can only be deactivated (and reactivated); one not in use can be deleted. Whether it is
in use is a question for the database, so deletion is decided in the use case.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import datetime

from domainkit import Conflict, InvalidField

MAX_NAME_LENGTH = 100


@dataclass(frozen=True)
class Category:
    id: uuid.UUID
    office_id: str
    name: str
    created_at: datetime
    created_by: str
    updated_at: datetime
    updated_by: str
    active: bool = True
    version: int = 1


def clean_name(name: str) -> str:
    """The name as stored: stripped, not blank, at most 100 characters."""
    cleaned = name.strip()
    if not cleaned:
        raise InvalidField("name", "must not be blank")
    if len(cleaned) > MAX_NAME_LENGTH:
        raise InvalidField("name", f"must be at most {MAX_NAME_LENGTH} characters")
    return cleaned


def new_category(*, office_id: str, name: str, created_by: str, now: datetime) -> Category:
    return Category(
        id=uuid.uuid4(),
        office_id=office_id,
        name=clean_name(name),
        created_at=now,
        created_by=created_by,
        updated_at=now,
        updated_by=created_by,
    )


def _next_version(changed: Category, changed_by: str, now: datetime) -> Category:
    return replace(changed, updated_at=now, updated_by=changed_by, version=changed.version + 1)


def rename(category: Category, name: str, *, changed_by: str, now: datetime) -> Category:
    """The category under its new name; the same category (no new version) when the name is unchanged."""
    cleaned = clean_name(name)
    if cleaned == category.name:
        return category
    return _next_version(replace(category, name=cleaned), changed_by, now)


def deactivate(category: Category, *, changed_by: str, now: datetime) -> Category:
    """No longer given to customers; those that have it keep it."""
    if not category.active:
        raise Conflict(f"Category {category.name} is already inactive.")
    return _next_version(replace(category, active=False), changed_by, now)


def reactivate(category: Category, *, changed_by: str, now: datetime) -> Category:
    if category.active:
        raise Conflict(f"Category {category.name} is already active.")
    return _next_version(replace(category, active=True), changed_by, now)


def mark_deleted(category: Category, *, changed_by: str, now: datetime) -> Category:
    """The last state, as the `category.deleted` event carries it: one version past the last change."""
    return _next_version(category, changed_by, now)
