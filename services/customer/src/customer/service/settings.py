"""Changing an office's settings."""

from __future__ import annotations

from typing import Any

from customer.adapters import settings_repository
from customer.domain.settings import OfficeSettings, change_settings
from servicekit.auth import Principal
from servicekit.etag import check_version
from servicekit.unit_of_work import UnitOfWork


async def update_settings(
    uow: UnitOfWork, user: Principal, changes: dict[str, Any], expected_version: int | None
) -> OfficeSettings:
    assert user.office_id is not None
    async with uow:
        current = await settings_repository.get(uow.session, user.office_id, for_update=True)
        check_version(current.version, expected_version)
        if not changes:
            return current
        changed = change_settings(current, changes)
        await settings_repository.save(uow.session, changed, user.subject)
        await uow.commit()
    return changed
