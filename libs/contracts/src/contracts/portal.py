"""Portal events (SPEC §7): portal access per customer, the office's catalog registry, customer users,
and the mail the portal sends (invitations, password resets). Each change event carries the full state of
its aggregate after the change; secrets (password hashes, tokens) never leave the portal service.

The portal service consumes its own `portal.invitation_requested` and `portal.password_reset_requested`:
its mail sender makes the single-use token and sends the mail when the event arrives, so no token is ever
on the bus.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from contracts.envelope import EventPayload

ResourceKind = Literal[
    "price_books", "quote_templates", "discounts", "contracts", "payment_terms", "payment_methods"
]
RESOURCE_KINDS: tuple[ResourceKind, ...] = (
    "price_books",
    "quote_templates",
    "discounts",
    "contracts",
    "payment_terms",
    "payment_methods",
)
PortalPermission = Literal["view", "place_orders", "request_prices", "edit_company"]
PORTAL_PERMISSIONS: tuple[PortalPermission, ...] = ("view", "place_orders", "request_prices", "edit_company")


class LinkedResource(BaseModel):
    """A reference to a resource another system owns (a price book in the CPQ system), with a label."""

    model_config = ConfigDict(extra="forbid")

    system: str = Field(min_length=1, max_length=50, description="The owning system, e.g. `cpq`.")
    reference: str = Field(min_length=1, max_length=200, description="Its id in that system.")
    label: str = Field(min_length=1, max_length=300)


class PortalAccessState(BaseModel):
    """A customer's portal: whether it is on, its address, and what its users see. An empty list means
    every one of that kind (every active catalog of the office, every price book, ...)."""

    model_config = ConfigDict(extra="forbid")

    customer_id: uuid.UUID
    office_id: str
    enabled: bool
    address: str | None = Field(default=None, description="The portal's address (URL) given to the customer.")
    catalog_ids: list[uuid.UUID] = Field(default_factory=list)
    resources: dict[ResourceKind, list[LinkedResource]] = Field(default_factory=dict)
    updated_at: datetime
    updated_by: str
    version: int = Field(ge=1)


class CatalogState(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: uuid.UUID
    office_id: str
    name: str = Field(min_length=1, max_length=300)
    active: bool
    updated_at: datetime
    updated_by: str
    version: int = Field(ge=1)


class PortalUserState(BaseModel):
    """A customer user: a contact of the customer with a portal login (no secrets)."""

    model_config = ConfigDict(extra="forbid")

    id: uuid.UUID
    office_id: str
    customer_id: uuid.UUID
    contact_id: uuid.UUID
    email: str
    name: str
    permissions: list[PortalPermission]
    status: Literal["invited", "active", "disabled"]
    updated_at: datetime
    updated_by: str
    version: int = Field(ge=1)


class PortalAccessChanged(EventPayload):
    """A customer's portal access was set (turned on or off, its catalogs or linked resources changed)."""

    event_type = "portal.access_changed"
    access: PortalAccessState


class PortalAccessRemoved(EventPayload):
    """A customer's portal and everything of it were removed (the customer was deleted)."""

    event_type = "portal.access_removed"
    access: PortalAccessState = Field(description="The last state before removal.")


class CatalogChanged(EventPayload):
    """A catalog of the office's registry was created, renamed, deactivated or reactivated."""

    event_type = "portal.catalog_changed"
    catalog: CatalogState


class PortalUserChanged(EventPayload):
    """Portal access was granted to a contact, its permissions changed, it set its password, or it lost
    its login (its contact was deactivated)."""

    event_type = "portal.user_changed"
    user: PortalUserState


class PortalUserRemoved(EventPayload):
    """A customer user was removed, with its login and every session."""

    event_type = "portal.user_removed"
    user: PortalUserState = Field(description="The last state before removal.")


class InvitationRequested(EventPayload):
    """A customer user is to get an invitation mail (the portal's mail sender makes its token)."""

    event_type = "portal.invitation_requested"
    user_id: uuid.UUID
    email: str
    name: str
    customer_name: str


class PasswordResetRequested(EventPayload):
    """A customer user asked to reset the password (the portal's mail sender makes its token)."""

    event_type = "portal.password_reset_requested"
    user_id: uuid.UUID
    email: str
    name: str


PORTAL_EVENTS: tuple[type[EventPayload], ...] = (
    PortalAccessChanged,
    PortalAccessRemoved,
    CatalogChanged,
    PortalUserChanged,
    PortalUserRemoved,
    InvitationRequested,
    PasswordResetRequested,
)
