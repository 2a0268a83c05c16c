"""Staff use cases: a customer's portal access, the office's catalog registry, and customer users (granting
portal access to a contact sends an invitation). Each changes state and records its events in the open unit
of work it is given; the caller (`servicekit.transactions`) commits."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from contracts.portal import InvitationRequested
from domainkit import Conflict, InvalidField, NotFound
from portal.adapters import repository
from portal.domain import access as rules
from portal.service.context import now
from portal.service.recording import record_access, record_catalog, record_user
from servicekit.auth import OfficeUser
from servicekit.etag import check_version
from servicekit.local_copies import LocalCopies
from servicekit.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class AccessSettings:
    enabled: bool
    address: str | None
    catalog_ids: list[uuid.UUID]
    resources: dict[str, list[dict[str, str]]]


async def visible_customer(
    session: AsyncConnection, copies: LocalCopies, user: OfficeUser, customer_id: uuid.UUID
) -> Any:
    customer = await copies.customer(session, customer_id, user.office_id)
    if customer is None:
        raise NotFound(f"No customer {customer_id} in your office.")
    return customer


async def put_access(
    uow: UnitOfWork,
    user: OfficeUser,
    copies: LocalCopies,
    customer_id: uuid.UUID,
    wanted: AccessSettings,
    expected_version: int | None,
) -> tuple[Any, bool]:
    """Set a customer's portal access as sent (a PUT: what is left out is the default)."""
    customer = await visible_customer(uow.session, copies, user, customer_id)
    current = await repository.get_access(uow.session, customer_id, for_update=True)
    check_version(current.version if current else 0, expected_version)
    known = {row.id for row in await repository.office_catalogs(uow.session, customer.office_id)}
    rules.check_catalogs(wanted.catalog_ids, known)
    values = {
        "customer_id": customer_id,
        "office_id": customer.office_id,
        "enabled": wanted.enabled,
        "address": wanted.address,
        "catalog_ids": [str(catalog_id) for catalog_id in dict.fromkeys(wanted.catalog_ids)],
        "resources": dict(wanted.resources),
    }
    if current is not None and all(getattr(current, name) == value for name, value in values.items()):
        return current, customer.active
    values |= {
        "updated_at": now(),
        "updated_by": user.subject,
        "version": (current.version if current else 0) + 1,
    }
    await repository.put_access(uow.session, values)
    stored = await repository.get_access(uow.session, customer_id)
    record_access(uow, stored)
    if current is not None and current.enabled and not wanted.enabled:
        # A portal switched off ends its users' sessions at once.
        users = await repository.users_of_customer(uow.session, customer_id)
        await repository.end_sessions_of_users(uow.session, [row.id for row in users])
    return stored, customer.active


async def create_catalog(uow: UnitOfWork, user: OfficeUser, name: str) -> Any:
    catalog_id = uuid.uuid4()
    values = {
        "id": catalog_id,
        "office_id": user.office_id,
        "name": name,
        "active": True,
        "updated_at": now(),
        "updated_by": user.subject,
        "version": 1,
    }
    await repository.add_catalog(uow.session, values)
    row = await repository.get_catalog(uow.session, user.office_id, catalog_id)
    record_catalog(uow, row)
    return row


async def change_catalog(
    uow: UnitOfWork,
    user: OfficeUser,
    catalog_id: uuid.UUID,
    changes: dict[str, Any],
    expected_version: int | None,
) -> Any:
    """Rename, deactivate or reactivate a catalog; a change to what it already is changes nothing."""
    row = await repository.get_catalog(uow.session, user.office_id, catalog_id, for_update=True)
    if row is None:
        raise NotFound(f"No catalog {catalog_id} in your office.")
    check_version(row.version, expected_version)
    changes = {name: value for name, value in changes.items() if getattr(row, name) != value}
    if not changes:
        return row
    changes |= {"updated_at": now(), "updated_by": user.subject, "version": row.version + 1}
    await repository.save_catalog(uow.session, catalog_id, changes)
    updated = await repository.get_catalog(uow.session, user.office_id, catalog_id)
    record_catalog(uow, updated)
    return updated


async def grant_access(
    uow: UnitOfWork, user: OfficeUser, copies: LocalCopies, contact_id: uuid.UUID, permissions: list[str]
) -> Any:
    """Give a contact a portal login: the user is created `invited`, and an invitation mail is requested
    (the mail sender makes its link when the event arrives)."""
    contact = await copies.contact(uow.session, contact_id, user.office_id)
    if contact is None:
        raise InvalidField("contact_id", f"no contact {contact_id} in your office")
    if not contact.active:
        raise InvalidField("contact_id", "the contact is inactive")
    if not contact.email:
        raise InvalidField("contact_id", "the contact has no email address to invite")
    customer = await copies.customer(uow.session, contact.customer_id, user.office_id)
    if customer is None:
        raise InvalidField("contact_id", "the contact's customer is not in your office")
    if await repository.user_by(uow.session, "contact_id", contact_id) is not None:
        raise Conflict(f"Contact {contact_id} already has portal access.", contact_id=str(contact_id))
    email = contact.email.lower()
    if await repository.user_by(uow.session, "email", email) is not None:
        raise Conflict(
            f"Another customer user already logs in with {email}.",
            errors=[{"field": "contact_id", "message": "the contact's email is already a portal login"}],
        )
    user_id = uuid.uuid4()
    values = {
        "id": user_id,
        "office_id": user.office_id,
        "customer_id": contact.customer_id,
        "contact_id": contact_id,
        "email": email,
        "name": f"{contact.first_name} {contact.last_name}",
        "permissions": rules.normalise_permissions(permissions),
        "status": "invited",
        "updated_at": now(),
        "updated_by": user.subject,
        "version": 1,
    }
    await repository.add_user(uow.session, values)
    row = await repository.get_user(uow.session, user_id)
    record_user(uow, row)
    request_invitation(uow, row, customer.name)
    return row


def request_invitation(uow: UnitOfWork, row: Any, customer_name: str) -> None:
    uow.record(
        InvitationRequested(user_id=row.id, email=row.email, name=row.name, customer_name=customer_name),
        office_id=row.office_id,
        aggregate_id=uuid.uuid4(),
        aggregate_version=1,
    )


async def load_user(uow: UnitOfWork, user: OfficeUser, user_id: uuid.UUID) -> Any:
    row = await repository.get_user(uow.session, user_id, for_update=True)
    if row is None or row.office_id != user.office_id:
        raise NotFound(f"No customer user {user_id} in your office.")
    return row


async def change_user(
    uow: UnitOfWork,
    user: OfficeUser,
    copies: LocalCopies,
    user_id: uuid.UUID,
    permissions: Sequence[str] | None,
    resend_invitation: bool,
    expected_version: int | None,
) -> Any:
    row = await load_user(uow, user, user_id)
    check_version(row.version, expected_version)
    changes: dict[str, Any] = {}
    if permissions is not None and rules.normalise_permissions(permissions) != row.permissions:
        changes["permissions"] = rules.normalise_permissions(permissions)
    if resend_invitation:
        if row.status == "active":
            raise Conflict("The customer user has already set a password; use a password reset instead.")
        changes["status"] = "invited"
    if changes:
        changes |= {"updated_at": now(), "updated_by": user.subject, "version": row.version + 1}
        await repository.save_user(uow.session, user_id, changes)
        # New permissions take effect at the next token: end the sessions that carry the old ones.
        await repository.end_sessions_of_users(uow.session, [user_id])
        row = await repository.get_user(uow.session, user_id)
        record_user(uow, row)
    if resend_invitation:
        customer = await copies.customer(uow.session, row.customer_id, user.office_id)
        request_invitation(uow, row, customer.name if customer is not None else "")
    return row


async def remove_user(
    uow: UnitOfWork, user: OfficeUser, user_id: uuid.UUID, expected_version: int | None
) -> None:
    row = await load_user(uow, user, user_id)
    check_version(row.version, expected_version)
    await repository.remove_user(uow.session, user_id)
    record_user(uow, row, removed=True)
