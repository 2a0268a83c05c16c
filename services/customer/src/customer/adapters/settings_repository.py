"""Office settings: one row per office once changed; an office without a row has the defaults."""

from __future__ import annotations

from dataclasses import asdict

from sqlalchemy import bindparam, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from customer.adapters.tables import office_settings
from customer.domain.settings import OfficeSettings

# Built once: every customer change reads the settings (see custom_field_repository._ORDERED).
_BY_OFFICE = select(office_settings).where(office_settings.c.office_id == bindparam("office_id"))
_BY_OFFICE_FOR_UPDATE = _BY_OFFICE.with_for_update()


async def get(session: AsyncConnection, office_id: str, *, for_update: bool = False) -> OfficeSettings:
    query = _BY_OFFICE_FOR_UPDATE if for_update else _BY_OFFICE
    row = (await session.execute(query, {"office_id": office_id})).first()
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
