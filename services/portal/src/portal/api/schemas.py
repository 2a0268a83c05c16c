"""The portal API's bodies and answers."""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StringConstraints

from contracts.portal import LinkedResource, PortalPermission, PortalUserState, ResourceKind
from servicekit.api_fields import NOT_BLANK, not_null

Name = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300, pattern=NOT_BLANK)
]
Email = Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=320, pattern="@")]
Password = Annotated[str, StringConstraints(min_length=1, max_length=1024)]
Token = Annotated[str, StringConstraints(min_length=1, max_length=200)]
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]
Label = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100, pattern=NOT_BLANK)
]
"""As the customer service takes an address's label, city and region."""


class AccessIn(BaseModel):
    """A customer's whole portal access (a PUT: what is left out is off or empty)."""

    model_config = ConfigDict(extra="forbid")

    enabled: StrictBool
    address: Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)] | None = Field(
        default=None, description="The portal's address given to the customer."
    )
    catalog_ids: list[uuid.UUID] = Field(
        default_factory=list, max_length=200, description="Visible catalogs; empty: every active one."
    )
    resources: dict[ResourceKind, Annotated[list[LinkedResource], Field(max_length=200)]] = Field(
        default_factory=dict, description="Linked resources by kind; a kind empty or left out: all of it."
    )


class AccessOut(BaseModel):
    customer_id: uuid.UUID
    enabled: bool
    address: str | None
    catalog_ids: list[uuid.UUID]
    resources: dict[ResourceKind, list[LinkedResource]]
    customer_active: bool = Field(description="An inactive customer's portal is suspended.")
    version: int = Field(ge=0, description="0 while the customer's portal was never set.")

    @classmethod
    def of(cls, customer_id: uuid.UUID, row: Any, customer_active: bool) -> AccessOut:
        if row is None:
            return cls(
                customer_id=customer_id,
                enabled=False,
                address=None,
                catalog_ids=[],
                resources={},
                customer_active=customer_active,
                version=0,
            )
        return cls(
            customer_id=customer_id,
            enabled=row.enabled,
            address=row.address,
            catalog_ids=row.catalog_ids,
            resources=row.resources,
            customer_active=customer_active,
            version=row.version,
        )


class CatalogIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name


class CatalogPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name = not_null()
    active: StrictBool = not_null(description="false deactivates it: it is hidden from every portal.")


class CatalogOut(BaseModel):
    id: uuid.UUID
    name: str
    active: bool
    version: int

    @classmethod
    def of(cls, row: Any) -> CatalogOut:
        return cls(id=row.id, name=row.name, active=row.active, version=row.version)


class UserGrant(BaseModel):
    """Give a contact a portal login; the contact gets an invitation mail."""

    model_config = ConfigDict(extra="forbid")

    contact_id: uuid.UUID
    permissions: list[PortalPermission] = Field(
        default_factory=lambda: list[PortalPermission](["view"]),
        max_length=4,
        description="`view` is always granted.",
    )


class UserPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    permissions: list[PortalPermission] = not_null(max_length=4)
    resend_invitation: StrictBool = Field(default=False, description="Send the invitation again.")


class UserOut(PortalUserState):
    @classmethod
    def of(cls, row: Any) -> UserOut:
        from portal.service.recording import user_state

        return cls.model_validate(user_state(row).model_dump())


class LoginIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: Email
    password: Password


class TokensOut(BaseModel):
    access_token: str = Field(description="For the portal's user endpoints only; short-lived.")
    refresh_token: str = Field(description="Use once at /refresh for new tokens.")
    token_type: Literal["bearer"] = "bearer"
    expires_in: int = Field(description="Seconds the access token is valid.")


class RefreshIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    refresh_token: Token


NewPassword = Annotated[str, StringConstraints(min_length=8, max_length=128)]


class PasswordIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    password: NewPassword = Field(description="8 to 128 characters of any kind; no common password.")


class ResetRequestIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: Email


class Accepted(BaseModel):
    detail: str


class AddressOut(BaseModel):
    id: uuid.UUID
    kind: str
    label: str | None = None
    line1: str | None = None
    line2: str | None = None
    postal_code: str | None = None
    city: str | None = None
    region: str | None = None
    country: str | None = None
    comment: str | None = None
    headquarters: bool = False


class CompanyOut(BaseModel):
    """Your company as the portal shows it (no internal remarks, no personal identity number)."""

    id: uuid.UUID
    customer_number: str | None
    name: str
    type: str
    organisation_number: str | None
    country: str | None
    vat_number: str | None
    language: str | None
    addresses: list[AddressOut]
    active: bool
    version: int


class ContactOut(BaseModel):
    id: uuid.UUID
    first_name: str
    last_name: str
    email: str | None
    phone: str | None
    main: bool

    @classmethod
    def of(cls, row: Any) -> ContactOut:
        return cls(
            id=row.id,
            first_name=row.first_name,
            last_name=row.last_name,
            email=row.email,
            phone=row.phone,
            main=row.main,
        )


class CatalogsOut(BaseModel):
    catalogs: list[CatalogOut]
    resources: dict[ResourceKind, list[LinkedResource]] = Field(
        description="Linked resources by kind; a kind empty or missing: every one of that kind."
    )


class AddressChange(BaseModel):
    """The fields of one of your company's addresses to change; null clears one."""

    model_config = ConfigDict(extra="forbid")

    label: Label | None = None
    line1: ShortText | None = None
    line2: ShortText | None = None
    postal_code: Annotated[str, StringConstraints(strip_whitespace=True, max_length=20)] | None = None
    city: Label | None = None
    region: Label | None = None
    country: Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[A-Za-z]{2}$")] | None = None
    comment: Annotated[str, StringConstraints(strip_whitespace=True, max_length=1000)] | None = None


class ContactChange(BaseModel):
    """A contact person's phone or email to change (null clears it)."""

    model_config = ConfigDict(extra="forbid")

    phone: Annotated[str, StringConstraints(strip_whitespace=True, max_length=50)] | None = None
    email: Annotated[str, StringConstraints(strip_whitespace=True, max_length=320)] | None = None
