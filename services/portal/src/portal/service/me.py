"""What a portal user sees and edits: their own customer's card (never its internal remarks, nor any
personal identity number), its active contacts, the catalogs and linked resources visible to them, and,
with `edit_company`, their company's addresses and its contact persons' phone and email (changed through the
customer and contact services as that user)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from contracts.contact import ContactState
from portal.adapters import repository
from portal.adapters.owners import Owners
from portal.domain import access as rules
from servicekit.auth import CustomerUser
from servicekit.copy_tables import contact_copies
from servicekit.local_copies import CONTACTS, store_state
from servicekit.problems import Forbidden

CARD_FIELDS = (
    "id",
    "customer_number",
    "name",
    "type",
    "organisation_number",
    "country",
    "vat_number",
    "language",
    "addresses",
    "active",
)
"""What a portal user sees of their customer: the card's public part. Internal remarks, owner, custom
fields, external ids, categories and segment are the office's business."""


async def company(owners: Owners, user: CustomerUser) -> dict[str, Any]:
    state = await owners.customer(uuid.UUID(user.customer_id))
    card = {name: state.get(name) for name in CARD_FIELDS}
    card["version"] = state["version"]
    return card


async def contacts(session: AsyncConnection, user: CustomerUser) -> list[Any]:
    table = contact_copies
    statement = (
        select(table)
        .where(
            table.c.customer_id == uuid.UUID(user.customer_id),
            table.c.office_id == user.office_id,
            table.c.active.is_(True),
            table.c.deleted.is_(False),
        )
        .order_by(table.c.last_name, table.c.first_name, table.c.id)
    )
    return list((await session.execute(statement)).all())


async def catalogs(session: AsyncConnection, user: CustomerUser) -> tuple[list[Any], dict[str, Any]]:
    """The visible catalogs and the linked resources (an empty list of a kind: every one of that kind)."""
    access = await repository.get_access(session, uuid.UUID(user.customer_id))
    chosen = {uuid.UUID(str(catalog_id)) for catalog_id in access.catalog_ids} if access else set()
    office = await repository.office_catalogs(session, user.office_id)
    return rules.visible_catalogs(chosen, office), dict(access.resources) if access else {}


def _may_edit(user: CustomerUser) -> None:
    if "edit_company" not in user.portal_permissions:
        raise Forbidden("Your portal login may not edit company information.", permission="edit_company")


async def change_address(
    owners: Owners, user: CustomerUser, address_id: uuid.UUID, changes: dict[str, Any], if_match: str | None
) -> dict[str, Any]:
    _may_edit(user)
    return await owners.change_address(user, address_id, changes, if_match)


async def change_contact(
    owners: Owners,
    session: AsyncConnection,
    user: CustomerUser,
    contact_id: uuid.UUID,
    changes: dict[str, Any],
    if_match: str | None,
) -> dict[str, Any]:
    """Change the contact in the contact service, and keep its answer in the local copy at once (version
    guarded, as its event will be), so the user's next page shows the change; the caller commits."""
    _may_edit(user)
    answer = await owners.change_contact(user, contact_id, changes, if_match)
    state = ContactState.model_validate({k: v for k, v in answer.items() if k in ContactState.model_fields})
    await store_state(session, CONTACTS, state, version=state.version, deleted=False)
    return answer
