"""The portal's mail sender: it follows the portal's own `portal.invitation_requested` and
`portal.password_reset_requested` events, makes the single-use token (stored only as its hash) and sends
the mail over SMTP. No token is ever on the bus or in the outbox.

A mail that cannot be sent raises, so the event is retried (and dead-lettered after the last try); a
retried event makes a new token, so at worst a user gets two mails of which the newer link works (for an
invitation) or both work once (for a reset).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from contracts import EventEnvelope
from contracts.portal import InvitationRequested, PasswordResetRequested
from portal.adapters import repository
from portal.adapters.security import new_secret
from portal.service.context import Portal, now
from servicekit.unit_of_work import UnitOfWork

Handler = Callable[[EventEnvelope[Any], UnitOfWork], Awaitable[None]]


def mail_handlers(portal: Portal) -> dict[str, Handler]:
    base = portal.settings.portal_public_url.rstrip("/")

    async def send_invitation(event: EventEnvelope[Any], uow: UnitOfWork) -> None:
        request: InvitationRequested = event.payload
        user = await repository.get_user(uow.session, request.user_id, for_update=True)
        if user is None or user.status != "invited":
            return  # removed, or accepted meanwhile
        token, token_hash = new_secret()
        expires_at = now() + timedelta(seconds=portal.settings.portal_invitation_ttl_s)
        await repository.save_user(
            uow.session, user.id, {"invitation_hash": token_hash, "invitation_expires_at": expires_at}
        )
        company = f" of {request.customer_name}" if request.customer_name else ""
        await portal.mailer.send(
            user.email,
            "Your invitation to the customer portal",
            f"Hello {user.name},\n\nyou have been given access to the customer portal{company}.\n"
            f"Choose your password here (the link works once, until {expires_at:%Y-%m-%d %H:%M} UTC):\n\n"
            f"{base}/portal/invitation/{token}\n",
        )

    async def send_reset(event: EventEnvelope[Any], uow: UnitOfWork) -> None:
        request: PasswordResetRequested = event.payload
        user = await repository.get_user(uow.session, request.user_id)
        if user is None or user.status != "active":
            return
        token, token_hash = new_secret()
        expires_at = now() + timedelta(seconds=portal.settings.portal_reset_ttl_s)
        await repository.add_reset(uow.session, token_hash, user.id, expires_at)
        minutes = portal.settings.portal_reset_ttl_s // 60
        await portal.mailer.send(
            user.email,
            "Reset your customer portal password",
            f"Hello {user.name},\n\nsomeone (we hope you) asked to reset your portal password.\n"
            f"Choose a new one here within {minutes} minutes (the link works once):\n\n"
            f"{base}/portal/reset/{token}\n\nIf it was not you, ignore this mail.\n",
        )

    return {
        InvitationRequested.event_type: send_invitation,
        PasswordResetRequested.event_type: send_reset,
    }
