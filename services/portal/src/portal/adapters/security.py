"""Secrets of portal logins: argon2id password hashes, the portal's own access tokens, and random
single-use tokens (refresh, invitation, reset) that are stored only as their SHA-256."""

from __future__ import annotations

import hashlib
import secrets
import time
import uuid
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import jwt
from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError

from portal.config import Settings
from servicekit.auth import CustomerUser
from servicekit.problems import Unauthorized

COMMON_PASSWORDS_FILE = Path(__file__).with_name("common_passwords.txt")


@cache
def common_passwords() -> frozenset[str]:
    lines = COMMON_PASSWORDS_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip().lower() for line in lines if line.strip() and not line.startswith("#"))


class Passwords:
    """argon2id with at least 19 MiB, t=2, p=1 (OWASP's minimum); a hash made with weaker parameters is
    replaced at the next successful login (`needs_rehash`)."""

    def __init__(self, settings: Settings) -> None:
        self._hasher = PasswordHasher(
            time_cost=settings.password_hash_time_cost,
            memory_cost=settings.password_hash_memory_kib,
            parallelism=1,
            type=Type.ID,
        )
        # Verified when the email names no user, so an unknown email costs as much time as a known one.
        self._dummy = self._hasher.hash(secrets.token_urlsafe(16))

    def hash(self, password: str) -> str:
        return self._hasher.hash(password)

    def verify(self, stored: str | None, password: str) -> bool:
        try:
            return self._hasher.verify(stored or self._dummy, password) and stored is not None
        except (VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, stored: str) -> bool:
        return self._hasher.check_needs_rehash(stored)


def new_secret() -> tuple[str, str]:
    """A random token for a link or a refresh, and the SHA-256 under which it is stored."""
    token = secrets.token_urlsafe(32)
    return token, digest(token)


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


@dataclass(frozen=True)
class PortalSession:
    """A verified portal access token: who, and which login (refresh-token family) it belongs to."""

    user: CustomerUser
    user_id: uuid.UUID
    family_id: uuid.UUID


class PortalTokens:
    """Access tokens for the portal audience only, signed with the portal's own key: no other service
    accepts them, and the portal accepts no other token on its user endpoints."""

    def __init__(self, settings: Settings) -> None:
        self._secret = settings.portal_token_secret
        self._audience = settings.portal_token_audience
        self._issuer = settings.jwt_issuer
        self.ttl_s = settings.portal_access_token_ttl_s

    def issue(
        self,
        *,
        user_id: uuid.UUID,
        family_id: uuid.UUID,
        name: str,
        office_id: str,
        customer_id: uuid.UUID,
        contact_id: uuid.UUID,
        permissions: list[str],
    ) -> str:
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self._issuer,
            "aud": self._audience,
            "iat": now,
            "exp": now + self.ttl_s,
            "sub": str(user_id),
            "sid": str(family_id),
            "kind": "customer_user",
            "name": name,
            "office_id": office_id,
            "customer_id": str(customer_id),
            "contact_id": str(contact_id),
            "permissions": permissions,
        }
        return jwt.encode(claims, self._secret, algorithm="HS256")

    def verify(self, token: str) -> PortalSession:
        try:
            claims = jwt.decode(
                token,
                self._secret,
                algorithms=["HS256"],
                audience=self._audience,
                issuer=self._issuer,
                options={"require": ["exp", "iat", "sub", "sid", "aud"]},
            )
            if claims.get("kind") != "customer_user":
                raise jwt.InvalidTokenError("not a portal user's token")
            user = CustomerUser(
                subject=str(claims["sub"]),
                name=claims.get("name"),
                office_id=str(claims["office_id"]),
                customer_id=str(uuid.UUID(claims["customer_id"])),
                contact_id=str(uuid.UUID(claims["contact_id"])),
                portal_permissions=frozenset(claims.get("permissions") or []),
            )
            return PortalSession(user, uuid.UUID(claims["sub"]), uuid.UUID(claims["sid"]))
        except (jwt.PyJWTError, KeyError, ValueError, TypeError) as exc:
            raise Unauthorized(f"Invalid portal token: {exc}") from exc
