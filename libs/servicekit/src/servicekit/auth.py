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
from dataclasses import dataclass, field
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

PrincipalKind = Literal["user", "customer_user", "service"]


@dataclass(frozen=True)
class Principal:
    kind: PrincipalKind
    subject: str
    name: str | None
    office_id: str | None
    roles: frozenset[str] = frozenset()
    customer_id: str | None = None
    contact_id: str | None = None
    claims: dict[str, Any] = field(default_factory=dict, compare=False)

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
        return Actor(kind=self.kind, id=self.subject, name=self.name)


class TokenVerifier:
    """Verifies bearer tokens against the configured issuer, audience and key."""

    def __init__(self, settings: JwtSettings) -> None:
        self.issuer = settings.jwt_issuer
        self.audience = settings.jwt_audience
        self.secret = settings.jwt_secret
        self.jwks = jwt.PyJWKClient(settings.jwt_jwks_url) if settings.jwt_jwks_url else None

    async def verify(self, token: str) -> Principal:
        try:
            if self.jwks is not None:
                # PyJWKClient fetches (and caches) keys with blocking I/O.
                signing_key = await asyncio.to_thread(self.jwks.get_signing_key_from_jwt, token)
                claims = jwt.decode(
                    token, signing_key.key, algorithms=["RS256"], audience=self.audience, issuer=self.issuer
                )
            else:
                claims = jwt.decode(
                    token, self.secret, algorithms=["HS256"], audience=self.audience, issuer=self.issuer
                )
        except jwt.PyJWTError as exc:
            raise Unauthorized(f"Invalid bearer token: {exc}") from exc
        return principal_from_claims(claims)


def principal_from_claims(claims: dict[str, Any]) -> Principal:
    kind = claims.get("kind", "user")
    if kind not in ("user", "customer_user", "service"):
        raise Unauthorized(f"Unknown token kind '{kind}'.")
    subject = claims.get("sub")
    if not subject:
        raise Unauthorized("The token names no subject (sub).")
    office_id = claims.get("office_id")
    if kind != "service" and not office_id:
        raise Unauthorized("The token names no office (office_id).")
    roles = claims.get("roles") or []
    if not isinstance(roles, list):
        raise Unauthorized("The token's roles must be a list.")
    return Principal(
        kind=kind,
        subject=str(subject),
        name=claims.get("name"),
        office_id=str(office_id) if office_id else None,
        roles=frozenset(str(r) for r in roles),
        customer_id=claims.get("customer_id"),
        contact_id=claims.get("contact_id"),
        claims=claims,
    )


def issue_token(
    settings: JwtSettings,
    *,
    subject: str,
    office_id: str | None,
    roles: list[str] | None = None,
    name: str | None = None,
    kind: PrincipalKind = "user",
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
