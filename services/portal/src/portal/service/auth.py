"""Customer users' logins: login with email and password (throttled per email and per client address,
with the same answer and cost whether or not the email exists), rotating refresh tokens in families, logout,
accepting an invitation, and password reset by a mailed single-use link.

A failed login must still count its failure, so these use cases return an outcome instead of raising
where the throttle has to be written; the route commits, then answers.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from contracts.portal import PasswordResetRequested
from domainkit import InvalidField
from portal.adapters import repository
from portal.adapters.security import common_passwords, digest, new_secret
from portal.domain import access as rules
from portal.domain import throttle
from portal.domain.passwords import check_new_password
from portal.service.context import Portal, now
from portal.service.recording import record_user
from servicekit.local_copies import CUSTOMERS, LocalCopies
from servicekit.unit_of_work import UnitOfWork

WRONG_CREDENTIALS = "The email or password is wrong."


@dataclass(frozen=True)
class Tokens:
    access_token: str
    refresh_token: str
    expires_in: int
    user_id: uuid.UUID


@dataclass(frozen=True)
class Refused:
    """Why a login or refresh is refused: `status` 401 (wrong), 403 (not allowed now), 429 (locked)."""

    status: int
    detail: str
    retry_after_s: int | None = None


async def standing_of(uow: UnitOfWork, copies: LocalCopies, user: Any) -> rules.Standing:
    customer = await copies.find(uow.session, CUSTOMERS, user.customer_id)
    access = await repository.get_access(uow.session, user.customer_id)
    customer_active = None if customer is None or customer.deleted else bool(customer.active)
    return rules.standing(
        user_status=user.status,
        customer_active=customer_active,
        portal_enabled=access is not None and access.enabled,
    )


async def _start_session(uow: UnitOfWork, portal: Portal, user: Any, family_id: uuid.UUID) -> Tokens:
    refresh, refresh_hash = new_secret()
    expires_at = now() + timedelta(seconds=portal.settings.portal_refresh_token_ttl_s)
    await repository.add_refresh_token(uow.session, refresh_hash, user.id, family_id, expires_at)
    access = portal.tokens.issue(
        user_id=user.id,
        family_id=family_id,
        name=user.name,
        office_id=user.office_id,
        customer_id=user.customer_id,
        contact_id=user.contact_id,
        permissions=list(user.permissions),
    )
    return Tokens(access, refresh, portal.tokens.ttl_s, user.id)


async def login(
    uow: UnitOfWork, portal: Portal, copies: LocalCopies, email: str, password: str, client: str
) -> Tokens | Refused:
    keys = (f"email:{email.strip().lower()}", f"client:{client}")
    moment = now()
    for key in keys:
        locked = throttle.locked_for(await repository.throttle_state(uow.session, key), moment)
        if locked is not None:
            minutes = max(1, round(locked.total_seconds() / 60))
            return Refused(
                429,
                "Too many failed logins. Try again in "
                f"{minutes} minute{'s' if minutes != 1 else ''}, or reset your password.",
                retry_after_s=max(1, int(locked.total_seconds()) + 1),
            )
    user = await repository.user_by(uow.session, "email", email.strip().lower(), for_update=True)
    # An unknown email is verified against a dummy hash: the same work, so the same time.
    if not portal.passwords.verify(user.password_hash if user is not None else None, password):
        for key in keys:
            state = await repository.throttle_state(uow.session, key)
            await repository.put_throttle_state(
                uow.session, key, throttle.after_failure(state, portal.throttle(key), moment)
            )
        return Refused(401, WRONG_CREDENTIALS)
    assert user is not None
    for key in keys:
        await repository.clear_throttle(uow.session, key)
    standing = await standing_of(uow, copies, user)
    if not standing.allowed:
        return Refused(403, standing.reason or "Login refused.")
    if portal.passwords.needs_rehash(user.password_hash):
        await repository.save_user(uow.session, user.id, {"password_hash": portal.passwords.hash(password)})
    return await _start_session(uow, portal, user, uuid.uuid4())


async def refresh(
    uow: UnitOfWork, portal: Portal, copies: LocalCopies, refresh_token: str
) -> Tokens | Refused:
    """Exchange a refresh token for new tokens. A token that was already exchanged is being replayed
    (stolen, or a race): its whole family ends, so the thief and the victim both log in again."""
    stored = await repository.get_refresh_token(uow.session, digest(refresh_token))
    if stored is None:
        return Refused(401, "The session has ended; log in again.")
    if stored.rotated_at is not None:
        await repository.end_family(uow.session, stored.family_id)
        return Refused(401, "This refresh token was already used; every session of this login has ended.")
    if stored.expires_at <= now():
        await repository.end_family(uow.session, stored.family_id)
        return Refused(401, "The session has expired; log in again.")
    user = await repository.get_user(uow.session, stored.user_id)
    assert user is not None  # the token is deleted with its user
    standing = await standing_of(uow, copies, user)
    if not standing.allowed:
        await repository.end_family(uow.session, stored.family_id)
        return Refused(403, standing.reason or "Refused.")
    await repository.mark_rotated(uow.session, stored.token_hash, now())
    return await _start_session(uow, portal, user, stored.family_id)


async def logout(uow: UnitOfWork, family_id: uuid.UUID) -> None:
    await repository.end_family(uow.session, family_id)


async def logout_by_refresh_token(uow: UnitOfWork, refresh_token: str) -> None:
    stored = await repository.get_refresh_token(uow.session, digest(refresh_token))
    if stored is not None:
        await repository.end_family(uow.session, stored.family_id)


async def accept_invitation(uow: UnitOfWork, portal: Portal, token: str, password: str) -> Any:
    """Set the first password from an invitation link; the link works once and until it expires."""
    user = await repository.user_by(uow.session, "invitation_hash", digest(token), for_update=True)
    if user is None or user.status != "invited" or user.invitation_expires_at <= now():
        raise InvalidField("token", "the invitation link is not valid any more; ask for a new one")
    check_new_password(password, common_passwords())
    changes = {
        "password_hash": portal.passwords.hash(password),
        "status": "active",
        "invitation_hash": None,
        "invitation_expires_at": None,
        "updated_at": now(),
        "updated_by": str(user.id),
        "version": user.version + 1,
    }
    await repository.save_user(uow.session, user.id, changes)
    row = await repository.get_user(uow.session, user.id)
    record_user(uow, row)
    return row


async def request_password_reset(uow: UnitOfWork, email: str) -> None:
    """Ask for a reset mail. Answered the same whether or not the email exists; only an active user
    gets a mail."""
    user = await repository.user_by(uow.session, "email", email.strip().lower())
    if user is None or user.status != "active":
        return
    uow.record(
        PasswordResetRequested(user_id=user.id, email=user.email, name=user.name),
        office_id=user.office_id,
        aggregate_id=uuid.uuid4(),
        aggregate_version=1,
    )


async def reset_password(uow: UnitOfWork, portal: Portal, token: str, password: str) -> None:
    """Set a new password from a reset link (once, before it expires); every session of the user ends."""
    reset = await repository.get_reset(uow.session, digest(token))
    moment = now()
    if reset is None or reset.used_at is not None or reset.expires_at <= moment:
        raise InvalidField("token", "the reset link is not valid any more; ask for a new one")
    user = await repository.get_user(uow.session, reset.user_id, for_update=True)
    if user is None or user.status != "active":
        raise InvalidField("token", "the reset link is not valid any more; ask for a new one")
    check_new_password(password, common_passwords())
    await repository.save_user(uow.session, user.id, {"password_hash": portal.passwords.hash(password)})
    await repository.use_resets_of(uow.session, user.id, moment)
    await repository.end_sessions_of_users(uow.session, [user.id])
    await repository.clear_throttle(uow.session, f"email:{user.email}")
