"""Rules of portal access, catalogs and customer users, in the domain's own words."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from typing import Any

from domainkit import InvalidField

PERMISSIONS = ("view", "place_orders", "request_prices", "edit_company")
"""A customer user's permissions (SPEC §7); `view` is implied by every portal login."""


def normalise_permissions(sent: Iterable[str]) -> list[str]:
    """The permissions in their canonical order, `view` always among them."""
    wanted = {"view", *sent}
    unknown = wanted - set(PERMISSIONS)
    if unknown:
        raise InvalidField("permissions", f"unknown permission {sorted(unknown)[0]!r}")
    return [permission for permission in PERMISSIONS if permission in wanted]


def check_catalogs(catalog_ids: Collection[uuid.UUID], known: Collection[uuid.UUID]) -> None:
    """Every catalog named must be one of the office's (a deactivated one may stay listed)."""
    for position, catalog_id in enumerate(catalog_ids):
        if catalog_id not in known:
            raise InvalidField(f"catalog_ids.{position}", f"no catalog {catalog_id} in your office")


def visible_catalogs(chosen: Collection[uuid.UUID], office_catalogs: Iterable[Any]) -> list[Any]:
    """The active catalogs a customer's users see: those chosen, or every active one when none is."""
    active = [catalog for catalog in office_catalogs if catalog.active]
    if not chosen:
        return active
    return [catalog for catalog in active if catalog.id in chosen]


@dataclass(frozen=True)
class Standing:
    """Whether a customer user may be logged in now, and if not the sentence that says why."""

    allowed: bool
    reason: str | None = None


def standing(*, user_status: str, customer_active: bool | None, portal_enabled: bool) -> Standing:
    """May a customer user log in (or keep a session)? Refused with a sentence the user can act on."""
    if customer_active is None:
        return Standing(False, "Your company's portal no longer exists.")
    if not customer_active:
        return Standing(False, "Your company's portal is suspended. Please contact your account manager.")
    if not portal_enabled:
        return Standing(False, "Your company's portal is switched off. Please contact your account manager.")
    if user_status != "active":
        return Standing(False, "Your portal login is not active. Please contact your account manager.")
    return Standing(True)
