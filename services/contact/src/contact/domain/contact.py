"""The contact aggregate and the rules that hold whatever the caller (SPEC §4).

- A customer has at most one main contact (per office: an office keeps its own contacts of a customer
  that all offices share). Making a contact main takes the mark from the one that had it
  (`hand_over_main`); the database's partial unique index holds the rule too.
- The main contact is an active one: an inactive contact cannot be made main, and deactivating the main
  contact takes the mark away (the customer then has none until someone is made main).
- Service reports and work orders are sent by email, so a contact that receives them has an email.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field, fields, replace
from datetime import datetime
from typing import Any, Protocol

from domainkit import Conflict, InvalidField

_SENT_BY_EMAIL = {"receives_service_reports": "service reports", "receives_work_orders": "work orders"}


@dataclass(frozen=True)
class Contact:
    id: uuid.UUID
    office_id: str
    customer_id: uuid.UUID
    first_name: str
    last_name: str
    created_at: datetime
    created_by: str
    updated_at: datetime
    updated_by: str
    email: str | None = None
    phone: str | None = None
    """E.164."""
    title: str | None = None
    roles: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    main: bool = False
    receives_service_reports: bool = False
    receives_work_orders: bool = False
    language: str | None = None
    external_ids: dict[str, str] = field(default_factory=dict)
    active: bool = True
    version: int = 1


@dataclass(frozen=True)
class ContactAndCustomer:
    """A contact as answers show it: with whether its customer is active (an inactive customer keeps
    and takes contacts, and the answer says so)."""

    contact: Contact
    customer_active: bool


EDITABLE_FIELDS = frozenset(
    f.name
    for f in fields(Contact)
    if f.name
    not in {
        "id",
        "office_id",
        "customer_id",
        "created_at",
        "created_by",
        "updated_at",
        "updated_by",
        "active",
        "version",
    }
)
"""What PATCH may change: a contact stays with its customer (its activities and portal login are that
customer's), and `active` changes only through deactivate / reactivate."""


def new_contact(
    *,
    office_id: str,
    customer_id: uuid.UUID,
    first_name: str,
    last_name: str,
    created_by: str,
    now: datetime,
    **details: Any,
) -> Contact:
    contact = Contact(
        id=uuid.uuid4(),
        office_id=office_id,
        customer_id=customer_id,
        first_name=first_name,
        last_name=last_name,
        created_at=now,
        created_by=created_by,
        updated_at=now,
        updated_by=created_by,
        **details,
    )
    check_rules(contact, set(details))
    return contact


def check_rules(contact: Contact, changed: Iterable[str] = ()) -> None:
    """Rules every contact obeys; a refusal names the field the caller changed where it can."""
    changed = set(changed)
    if not contact.first_name.strip():
        raise InvalidField("first_name", "must not be blank")
    if not contact.last_name.strip():
        raise InvalidField("last_name", "must not be blank")
    if contact.email is None:
        for flag, what in _SENT_BY_EMAIL.items():
            if getattr(contact, flag):
                name = "email" if "email" in changed and flag not in changed else flag
                raise InvalidField(name, f"{what} are sent by email, so the contact needs an email address")
    if contact.main and not contact.active:
        raise Conflict(
            "An inactive contact cannot be the main contact; reactivate it first.",
            errors=[{"field": "main", "message": "an inactive contact cannot be the main contact"}],
        )


def apply_changes(
    contact: Contact, changes: dict[str, Any], *, changed_by: str, now: datetime
) -> tuple[Contact, list[str]]:
    """The contact with `changes` applied, and the names of the fields whose value really changed.

    Nothing that really changed means no new version: an identical PATCH is a no-op.
    """
    unknown = set(changes) - EDITABLE_FIELDS
    if unknown:
        raise InvalidField(sorted(unknown)[0], "cannot be changed")
    changed = [name for name, value in changes.items() if getattr(contact, name) != value]
    if not changed:
        return contact, []
    updated = replace(
        contact,
        **{name: changes[name] for name in changed},
        updated_at=now,
        updated_by=changed_by,
        version=contact.version + 1,
    )
    check_rules(updated, changed)
    return updated, sorted(changed)


def merge_external_ids(current: dict[str, str], sent: dict[str, str | None]) -> dict[str, str]:
    """External ids after a change: only the systems sent change, and None removes one."""
    merged = dict(current)
    for system, value in sent.items():
        if value is None:
            merged.pop(system, None)
        else:
            merged[system] = value
    return merged


def takes_main(before: Contact | None, after: Contact) -> bool:
    """Whether this change makes the contact its customer's main contact (so another must give it up)."""
    return after.main and (before is None or not before.main)


def hand_over_main(
    new_main: Contact, holders: Iterable[Contact], *, changed_by: str, now: datetime
) -> list[Contact]:
    """The contacts that held the main mark of `new_main`'s customer, each without it: a change of theirs
    like any other, with its own version."""
    return [
        replace(holder, main=False, updated_at=now, updated_by=changed_by, version=holder.version + 1)
        for holder in holders
        if holder.id != new_main.id
        and holder.main
        and holder.customer_id == new_main.customer_id
        and holder.office_id == new_main.office_id
    ]


class Transition(Protocol):
    """A change of state that needs no input but who and when: deactivate, reactivate."""

    def __call__(self, contact: Contact, *, changed_by: str, now: datetime) -> Contact: ...


def deactivate(contact: Contact, *, changed_by: str, now: datetime) -> Contact:
    """Hidden from default lists, kept; the main contact gives up the mark."""
    if not contact.active:
        raise Conflict("The contact is already inactive.")
    return replace(
        contact,
        active=False,
        main=False,
        updated_at=now,
        updated_by=changed_by,
        version=contact.version + 1,
    )


def reactivate(contact: Contact, *, changed_by: str, now: datetime) -> Contact:
    if contact.active:
        raise Conflict("The contact is already active.")
    return replace(contact, active=True, updated_at=now, updated_by=changed_by, version=contact.version + 1)


def mark_deleted(contact: Contact, *, changed_by: str, now: datetime) -> Contact:
    """The last state, as the `contact.deleted` event carries it: one version past the last change."""
    return replace(contact, updated_at=now, updated_by=changed_by, version=contact.version + 1)


def as_json(contact: Contact) -> dict[str, Any]:
    """The contact in the API's field names and JSON values: the one form behind events and answers."""
    return {
        "id": str(contact.id),
        "office_id": contact.office_id,
        "customer_id": str(contact.customer_id),
        "first_name": contact.first_name,
        "last_name": contact.last_name,
        "email": contact.email,
        "phone": contact.phone,
        "title": contact.title,
        "roles": list(contact.roles),
        "keywords": list(contact.keywords),
        "main": contact.main,
        "receives_service_reports": contact.receives_service_reports,
        "receives_work_orders": contact.receives_work_orders,
        "language": contact.language,
        "external_ids": dict(contact.external_ids),
        "active": contact.active,
        "created_at": contact.created_at.isoformat(),
        "created_by": contact.created_by,
        "updated_at": contact.updated_at.isoformat(),
        "updated_by": contact.updated_by,
        "version": contact.version,
    }
