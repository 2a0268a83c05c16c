"""Reading and writing contacts (with their external ids) in the contact database.

Reads for answers join the customer copy (`servicekit.copy_tables.customer_copies`) for whether the
contact's customer is active; a contact always has one, since it was created against it.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row, Select, and_, delete, func, insert, or_, select, tuple_, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from contact.adapters.tables import contacts, external_ids
from contact.domain.contact import Contact, ContactAndCustomer
from domainkit import Conflict
from servicekit.copy_tables import customer_copies
from servicekit.db import hold_lock

_CUSTOMER_ACTIVE = func.coalesce(customer_copies.c.active, True).label("customer_active")
_WITH_CUSTOMER = contacts.outerjoin(customer_copies, customer_copies.c.id == contacts.c.customer_id)
_SORT_LAST, _SORT_FIRST = func.lower(contacts.c.last_name), func.lower(contacts.c.first_name)


def _to_row(contact: Contact) -> dict[str, Any]:
    row = dict(vars(contact))
    row.update(roles=list(contact.roles), keywords=list(contact.keywords))
    return row


def _from_row(row: Row[Any]) -> Contact:
    values = {column.name: row._mapping[column.name] for column in contacts.columns}
    return Contact(
        **{
            **values,
            "roles": tuple(values["roles"]),
            "keywords": tuple(values["keywords"]),
            "external_ids": dict(values["external_ids"]),
        }
    )


def _with_customer(row: Row[Any]) -> ContactAndCustomer:
    return ContactAndCustomer(_from_row(row), bool(row.customer_active))


def _select_with_customer() -> Select[Any]:
    return select(contacts, _CUSTOMER_ACTIVE).select_from(_WITH_CUSTOMER)


async def get(
    session: AsyncConnection, contact_id: uuid.UUID, office_id: str, *, for_update: bool = False
) -> ContactAndCustomer | None:
    """The office's contact (another office's is None: office isolation)."""
    query = _select_with_customer().where(contacts.c.id == contact_id, contacts.c.office_id == office_id)
    if for_update:
        query = query.with_for_update(of=contacts)
    row = (await session.execute(query)).first()
    return _with_customer(row) if row else None


async def get_any_office(session: AsyncConnection, contact_id: uuid.UUID) -> Contact | None:
    """A contact whatever its office: for other services' read-through, never for users."""
    row = (await session.execute(select(contacts).where(contacts.c.id == contact_id))).first()
    return _from_row(row) if row else None


@dataclass(frozen=True)
class ListFilter:
    customer_id: uuid.UUID | None = None
    include_inactive: bool = False


async def list_page(
    session: AsyncConnection,
    office_id: str,
    filters: ListFilter,
    after: tuple[str, str, uuid.UUID] | None,
    limit: int,
) -> list[ContactAndCustomer]:
    """One page ordered by last name, first name (case-insensitive), then id; `after` is the last
    (last name, first name, id) seen, lower-cased."""
    query = _select_with_customer().where(contacts.c.office_id == office_id)
    if filters.customer_id is not None:
        query = query.where(contacts.c.customer_id == filters.customer_id)
    if not filters.include_inactive:
        query = query.where(contacts.c.active.is_(True))
    if after is not None:
        query = query.where(tuple_(_SORT_LAST, _SORT_FIRST, contacts.c.id) > tuple_(*after))
    query = query.order_by(_SORT_LAST, _SORT_FIRST, contacts.c.id).limit(limit)
    return [_with_customer(row) for row in (await session.execute(query)).all()]


def sort_position(contact: Contact) -> list[str]:
    """Where a contact stands in a list: what a cursor after it holds."""
    return [contact.last_name.lower(), contact.first_name.lower(), str(contact.id)]


async def list_after_id(
    session: AsyncConnection,
    office_id: str | None,
    customer_id: uuid.UUID | None,
    after: uuid.UUID | None,
    limit: int,
) -> list[Contact]:
    """Contacts in id order after `after`, of one office (and customer) or of all: the internal bulk read."""
    query = select(contacts)
    if office_id is not None:
        query = query.where(contacts.c.office_id == office_id)
    if customer_id is not None:
        query = query.where(contacts.c.customer_id == customer_id)
    if after is not None:
        query = query.where(contacts.c.id > after)
    rows = (await session.execute(query.order_by(contacts.c.id).limit(limit))).all()
    return [_from_row(row) for row in rows]


async def of_customer_in_every_office(session: AsyncConnection, customer_id: uuid.UUID) -> list[Contact]:
    """Every contact of a customer, in any office, locked: a deleted customer takes them all."""
    query = select(contacts).where(contacts.c.customer_id == customer_id).order_by(contacts.c.id)
    rows = (await session.execute(query.with_for_update())).all()
    return [_from_row(row) for row in rows]


async def lock_main_of(session: AsyncConnection, office_id: str, customer_id: uuid.UUID) -> None:
    """Hold the main mark of a customer for this transaction: two contacts made main at once take turns,
    so the second sees (and takes the mark from) the first instead of breaking the unique index."""
    await hold_lock(session, f"main-contact:{office_id}:{customer_id}")


async def main_contacts_of(session: AsyncConnection, office_id: str, customer_id: uuid.UUID) -> list[Contact]:
    """The customer's main contact in this office (at most one), locked."""
    query = select(contacts).where(
        contacts.c.office_id == office_id, contacts.c.customer_id == customer_id, contacts.c.main.is_(True)
    )
    return [_from_row(row) for row in (await session.execute(query.with_for_update())).all()]


async def holder_of_external_id(
    session: AsyncConnection, office_id: str, ids: Mapping[str, str], other_than: uuid.UUID
) -> tuple[str, uuid.UUID] | None:
    """The first of `ids` (system → value) that another contact of the office holds: (system, holder)."""
    if not ids:
        return None
    pairs = [
        and_(external_ids.c.system == system, external_ids.c.value == value) for system, value in ids.items()
    ]
    query = (
        select(external_ids.c.system, external_ids.c.contact_id)
        .where(external_ids.c.office_id == office_id, external_ids.c.contact_id != other_than, or_(*pairs))
        .order_by(external_ids.c.system)
        .limit(1)
    )
    row = (await session.execute(query)).first()
    return (row.system, row.contact_id) if row else None


_INSERT_CONTACT = insert(contacts)


async def add(session: AsyncConnection, contact: Contact) -> None:
    # No savepoint: a unique violation ends the whole unit of work, which is refused as a 409.
    try:
        await session.execute(_INSERT_CONTACT, _to_row(contact))
        await _write_external_ids(session, contact)
    except IntegrityError as exc:
        raise _taken(exc) from exc


async def save(session: AsyncConnection, before: Contact, after: Contact) -> None:
    """Write a changed contact; the caller holds the row lock and has checked the version."""
    try:
        await session.execute(
            update(contacts)
            .where(contacts.c.id == after.id, contacts.c.version == before.version)
            .values(**_to_row(after))
        )
        if after.external_ids != before.external_ids:
            await session.execute(delete(external_ids).where(external_ids.c.contact_id == after.id))
            await _write_external_ids(session, after)
    except IntegrityError as exc:
        raise _taken(exc) from exc


async def _write_external_ids(session: AsyncConnection, contact: Contact) -> None:
    if contact.external_ids:
        await session.execute(
            insert(external_ids),
            [
                {"office_id": contact.office_id, "system": system, "value": value, "contact_id": contact.id}
                for system, value in contact.external_ids.items()
            ],
        )


async def remove(session: AsyncConnection, contact_ids: Sequence[uuid.UUID]) -> None:
    await session.execute(delete(contacts).where(contacts.c.id.in_(contact_ids)))


def _taken(exc: IntegrityError) -> Exception:
    """Turn a unique-constraint violation that a concurrent change won into a 409 that names the field.
    (The use cases look first and name the system; this is for the race they cannot see.)"""
    message = str(exc.orig)
    if "pk_contact_external_ids" in message:
        return Conflict(
            "An external id is already used by another contact of this office.",
            errors=[{"field": "external_ids", "message": "is already used by another contact"}],
        )
    if "uq_contacts_main_per_customer" in message:
        return Conflict(
            "Another contact of this customer was made its main contact at the same moment; try again.",
            errors=[{"field": "main", "message": "another contact became the main contact meanwhile"}],
        )
    return exc
