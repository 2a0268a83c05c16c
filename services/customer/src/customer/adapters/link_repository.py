"""Reading and writing project links in the customer database."""

from __future__ import annotations

import uuid
from dataclasses import asdict
from datetime import datetime
from typing import Any

from sqlalchemy import Row, delete, func, insert, select, tuple_
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from customer.adapters.tables import project_links
from customer.domain.project_link import ProjectLink
from domainkit import Conflict

LinkPosition = tuple[datetime, uuid.UUID]
"""Where a page ends: the (created_at, id) of its last link."""


def _from_row(row: Row[Any]) -> ProjectLink:
    return ProjectLink(**row._mapping)


async def add(session: AsyncConnection, link: ProjectLink) -> None:
    """Insert the link; a second link to the same (system, reference) is a 409 naming `reference`."""
    try:
        # A savepoint, so a refused insert leaves the caller's transaction usable.
        async with session.begin_nested():
            await session.execute(insert(project_links).values(**asdict(link)))
    except IntegrityError as exc:
        if "uq_project_links_reference" not in str(exc.orig):
            raise
        raise Conflict(
            f"The customer already has a link to {link.system} project {link.reference}.",
            errors=[{"field": "reference", "message": f"is already linked from {link.system}"}],
        ) from exc


async def get(session: AsyncConnection, customer_id: uuid.UUID, link_id: uuid.UUID) -> ProjectLink | None:
    query = select(project_links).where(
        project_links.c.id == link_id, project_links.c.customer_id == customer_id
    )
    row = (await session.execute(query)).first()
    return _from_row(row) if row is not None else None


async def list_page(
    session: AsyncConnection, customer_id: uuid.UUID, after: LinkPosition | None, limit: int
) -> list[ProjectLink]:
    """The customer's links, oldest first (then by id); `after` is where the previous page ended."""
    query = select(project_links).where(project_links.c.customer_id == customer_id)
    if after is not None:
        query = query.where(tuple_(project_links.c.created_at, project_links.c.id) > tuple_(*after))
    query = query.order_by(project_links.c.created_at, project_links.c.id).limit(limit)
    return [_from_row(row) for row in (await session.execute(query)).all()]


async def remove(session: AsyncConnection, customer_id: uuid.UUID, link_id: uuid.UUID) -> bool:
    """Delete the link if it is this customer's; whether there was one."""
    result = await session.execute(
        delete(project_links)
        .where(project_links.c.id == link_id, project_links.c.customer_id == customer_id)
        .returning(project_links.c.id)
    )
    return result.first() is not None


async def count_for(session: AsyncConnection, customer_id: uuid.UUID) -> int:
    """How many links the customer has: a customer can be deleted only when this is 0."""
    query = select(func.count()).select_from(project_links).where(project_links.c.customer_id == customer_id)
    return int((await session.execute(query)).scalar_one())
