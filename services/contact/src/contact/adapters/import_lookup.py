"""How the contact import finds a contact it may already have: by external id, or by customer and email."""

from __future__ import annotations

import uuid
from collections.abc import Mapping

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from contact.adapters.tables import contacts, external_ids


async def by_external_ids(
    session: AsyncConnection, office_id: str, ids: Mapping[str, str]
) -> uuid.UUID | None:
    if not ids:
        return None
    pairs = [and_(external_ids.c.system == s, external_ids.c.value == v) for s, v in ids.items()]
    query = (
        select(external_ids.c.contact_id)
        .where(external_ids.c.office_id == office_id, or_(*pairs))
        .order_by(external_ids.c.system)
        .limit(1)
    )
    return (await session.execute(query)).scalar()


async def by_customer_and_email(
    session: AsyncConnection, office_id: str, customer_id: uuid.UUID, email: str
) -> uuid.UUID | None:
    query = select(contacts.c.id).where(
        contacts.c.office_id == office_id, contacts.c.customer_id == customer_id, contacts.c.email == email
    )
    return (await session.execute(query.order_by(contacts.c.created_at).limit(1))).scalar()
