"""Who is calling: bearer JWTs of internal users, of portal (customer) users and of other services.

Internal users carry ``sub``, ``name``, ``office_id`` and ``roles``; their permissions follow from the roles
(SPEC §2, after the field-service seed's permission list). Services call internal endpoints with a token
whose ``kind`` is ``service``. Tokens are HS256 with a shared secret in development, or verified against a
JWKS URL (RS256) for a real identity provider.
"""

from __future__ import annotations

import asyncio
import enum
import time
import uuid
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Literal

import jwt

from contracts import Actor
from servicekit.problems import Forbidden, Unauthorized
from servicekit.settings import JwtSettings


class Permission(enum.StrEnum):
    VIEW = "view"
    EDIT = "edit"
    CREATE = "create"
    DELETE = "delete"
    UPLOAD = "upload"
    ASSIGN = "assign"
    MANAGE_CUSTOMER_USERS = "manage_customer_users"
    ADMINISTER_OFFICE = "administer_office"
    """Office settings, categories, custom-field definitions and changing customer numbers."""


ROLE_PERMISSIONS: dict[str, frozenset[Permission]] = {
    "office_admin": frozenset(Permission),
    "manager": frozenset(
        {
            Permission.VIEW,
            Permission.EDIT,
            Permission.CREATE,
            Permission.DELETE,
            Permission.UPLOAD,
            Permission.ASSIGN,
            Permission.MANAGE_CUSTOMER_USERS,
        }
    ),
    "viewer": frozenset({Permission.VIEW}),
}
ROLES = tuple(ROLE_PERMISSIONS)

TokenKind = Literal["user", "customer_user", "service"]


@dataclass(frozen=True)
class OfficeUser:
    """An internal user: always of one office, with roles that grant permissions."""

    subject: str
    name: str | None
    office_id: str
    roles: frozenset[str] = frozenset()

    @property
    def permissions(self) -> frozenset[Permission]:
        granted: set[Permission] = set()
        for role in self.roles:
            granted |= ROLE_PERMISSIONS.get(role, frozenset())
        return frozenset(granted)

    def can(self, permission: Permission) -> bool:
        return permission in self.permissions

    def require(self, permission: Permission) -> None:
        if not self.can(permission):
            raise Forbidden(f"Your role does not allow '{permission.value}'.", permission=permission.value)

    @property
    def is_admin(self) -> bool:
        return "office_admin" in self.roles

    @property
    def actor(self) -> Actor:
        return Actor(kind="user", id=self.subject, name=self.name)


@dataclass(frozen=True)
class CustomerUser:
    """A portal user: one of a customer's own people, who reaches only that customer's portal data."""

    subject: str
    name: str | None
    office_id: str
    customer_id: str
    contact_id: str
    portal_permissions: frozenset[str] = frozenset()

    @property
    def actor(self) -> Actor:
        return Actor(kind="customer_user", id=self.subject, name=self.name)


@dataclass(frozen=True)
class ServiceCaller:
    """Another service of the platform, calling the internal endpoints.

    A service may carry out a change on behalf of a portal user (the portal editing its customer's
    addresses in the customer service): its token then names that user (`acting_for`), the change is
    recorded with the portal user as its author, and the receiving route checks the user may make it.
    """

    subject: str
    name: str | None
    acting_for: CustomerUser | None = None

    @property
    def actor(self) -> Actor:
        if self.acting_for is not None:
            return self.acting_for.actor
        return Actor(kind="service", id=self.subject, name=self.name)


Principal = OfficeUser | CustomerUser | ServiceCaller
"""Whoever a valid token names; each kind opens a unit of work as its own actor."""

REQUIRED_CLAIMS = ("exp", "iat", "sub")
"""A token without an expiry, an issue time or a subject is refused, whoever signed it."""


VERIFIED_TOKENS_KEPT = 4096


class TokenVerifier:
    """Verifies bearer tokens against the configured issuer, audience and key.

    A client sends the same token with every request until it expires, and checking its signature and
    claims is a good part of a request's CPU. So a token verified once is remembered (the last few
    thousand, by their exact text) with its principal until its `exp`: the same bytes cannot verify
    differently later, and expiry is checked again on every use.
    """

    def __init__(self, settings: JwtSettings) -> None:
        self.issuer = settings.jwt_issuer
        self.audience = settings.jwt_audience
        self.secret = settings.jwt_secret
        self.service_key = settings.service_signing_key
        self.jwks = jwt.PyJWKClient(settings.jwt_jwks_url) if settings.jwt_jwks_url else None
        self._verified: OrderedDict[str, tuple[Principal, float]] = OrderedDict()

    async def verify(self, token: str) -> Principal:
        remembered = self._verified.get(token)
        if remembered is not None:
            principal, expires_at = remembered
            if time.time() < expires_at:
                self._verified.move_to_end(token)
                return principal
            del self._verified[token]
        principal, expires_at = await self._verify_signature_and_claims(token)
        self._verified[token] = (principal, expires_at)
        if len(self._verified) > VERIFIED_TOKENS_KEPT:
            self._verified.popitem(last=False)
        return principal

    async def _verify_signature_and_claims(self, token: str) -> tuple[Principal, float]:
        try:
            # Services sign the tokens they send each other with the shared service key (HS256), also
            # where users' tokens come from an identity provider (RS256, JWKS); such a token must then
            # name a service, so the service key can never make a user.
            service_signed = _says_service(token) and jwt.get_unverified_header(token).get("alg") == "HS256"
            if service_signed:
                key, algorithm = self.service_key, "HS256"
            elif self.jwks is not None:
                # PyJWKClient fetches (and caches) keys with blocking I/O.
                signing_key = await asyncio.to_thread(self.jwks.get_signing_key_from_jwt, token)
                key, algorithm = signing_key.key, "RS256"
            else:
                key, algorithm = self.secret, "HS256"
            claims = jwt.decode(
                token,
                key,
                algorithms=[algorithm],
                audience=self.audience,
                issuer=self.issuer,
                options={"require": list(REQUIRED_CLAIMS)},
            )
        except jwt.PyJWTError as exc:
            raise Unauthorized(f"Invalid bearer token: {exc}") from exc
        return principal_from_claims(claims), float(claims["exp"])


def _says_service(token: str) -> bool:
    """Whether the token, unverified, claims to be a service's (it is verified afterwards)."""
    return jwt.decode(token, options={"verify_signature": False}).get("kind") == "service"


def issue_service_token(
    settings: JwtSettings,
    service_name: str,
    ttl_seconds: int = 600,
    *,
    acting_for: CustomerUser | None = None,
) -> str:
    """A token with which `service_name` calls the other services' internal endpoints; with
    `acting_for`, on behalf of that portal user (see `ServiceCaller`)."""
    signing = settings.model_copy(update={"jwt_secret": settings.service_signing_key})
    extra: dict[str, Any] = {}
    if acting_for is not None:
        extra["acting_for"] = {
            "sub": acting_for.subject,
            "name": acting_for.name,
            "office_id": acting_for.office_id,
            "customer_id": acting_for.customer_id,
            "contact_id": acting_for.contact_id,
            "permissions": sorted(acting_for.portal_permissions),
        }
    return issue_token(
        signing,
        subject=service_name,
        office_id=None,
        kind="service",
        name=f"{service_name} service",
        ttl_seconds=ttl_seconds,
        **extra,
    )


def principal_from_claims(claims: dict[str, Any]) -> Principal:
    """The principal a verified token names; 401 when its claims do not make one."""
    kind = claims.get("kind", "user")
    subject = _text_claim(claims, "sub")
    if subject is None:
        raise Unauthorized("The token names no subject (sub).")
    name = _text_claim(claims, "name")
    if kind == "service":
        acting = claims.get("acting_for")
        if acting is None:
            return ServiceCaller(subject=subject, name=name)
        if not isinstance(acting, dict):
            raise Unauthorized("The token's acting_for must be an object.")
        acting_for = principal_from_claims({**acting, "kind": "customer_user"})
        assert isinstance(acting_for, CustomerUser)
        return ServiceCaller(subject=subject, name=name, acting_for=acting_for)
    office_id = _text_claim(claims, "office_id")
    if office_id is None:
        raise Unauthorized("The token names no office (office_id).")
    if kind == "user":
        return OfficeUser(subject=subject, name=name, office_id=office_id, roles=_list_claim(claims, "roles"))
    if kind == "customer_user":
        customer_id, contact_id = _text_claim(claims, "customer_id"), _text_claim(claims, "contact_id")
        if customer_id is None or contact_id is None:
            raise Unauthorized("A portal token names its customer (customer_id) and contact (contact_id).")
        return CustomerUser(
            subject=subject,
            name=name,
            office_id=office_id,
            customer_id=customer_id,
            contact_id=contact_id,
            portal_permissions=_list_claim(claims, "permissions"),
        )
    raise Unauthorized(f"Unknown token kind {kind!r}.")


def _text_claim(claims: dict[str, Any], name: str) -> str | None:
    value = claims.get(name)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise Unauthorized(f"The token's {name} must be a string.")
    return value


def _list_claim(claims: dict[str, Any], name: str) -> frozenset[str]:
    value = claims.get(name) or []
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise Unauthorized(f"The token's {name} must be a list of strings.")
    return frozenset(value)


def issue_token(
    settings: JwtSettings,
    *,
    subject: str,
    office_id: str | None,
    roles: list[str] | None = None,
    name: str | None = None,
    kind: TokenKind = "user",
    ttl_seconds: int = 8 * 3600,
    **extra_claims: Any,
) -> str:
    """Sign a token with the shared secret: for development, tests and service-to-service calls."""
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "iat": now,
        "exp": now + ttl_seconds,
        "jti": str(uuid.uuid4()),
        "sub": subject,
        "kind": kind,
        "name": name,
        "office_id": office_id,
        "roles": roles or [],
        **extra_claims,
    }
    return jwt.encode(claims, settings.jwt_secret, algorithm="HS256")
