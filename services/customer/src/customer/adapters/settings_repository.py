"""Office settings: one row per office once changed; an office without a row has the defaults."""

from __future__ import annotations

from dataclasses import asdict

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from customer.adapters.tables import office_settings
from customer.domain.settings import OfficeSettings


async def get(session: AsyncConnection, office_id: str, *, for_update: bool = False) -> OfficeSettings:
    query = select(office_settings).where(office_settings.c.office_id == office_id)
    if for_update:
        query = query.with_for_update()
    row = (await session.execute(query)).first()
    if row is None:
        return OfficeSettings(office_id=office_id)
    values = {k: v for k, v in row._mapping.items() if k not in ("updated_at", "updated_by")}
    return OfficeSettings(**values)


async def save(session: AsyncConnection, settings: OfficeSettings, changed_by: str) -> None:
    values = {**asdict(settings), "updated_by": changed_by, "updated_at": func.now()}
    statement = insert(office_settings).values(**values)
    await session.execute(
        statement.on_conflict_do_update(index_elements=["office_id"], set_=dict(statement.excluded.items()))
    )
