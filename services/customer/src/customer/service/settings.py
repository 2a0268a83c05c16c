"""Changing an office's settings."""

from __future__ import annotations

from customer.adapters import settings_repository
from customer.domain.commands import SettingsChanges
from customer.domain.settings import OfficeSettings, change_settings
from domainkit import sent_fields
from servicekit.auth import OfficeUser
from servicekit.etag import check_version
from servicekit.unit_of_work import UnitOfWork


async def update_settings(
    uow: UnitOfWork, user: OfficeUser, changes: SettingsChanges, expected_version: int | None
) -> OfficeSettings:
    current = await settings_repository.get(uow.session, user.office_id, for_update=True)
    check_version(current.version, expected_version)
    sent = sent_fields(changes)
    if not sent:
        return current
    changed = change_settings(current, sent)
    await settings_repository.save(uow.session, changed, user.subject)
    return changed
