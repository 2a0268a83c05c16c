"""The portal's own dependencies: its context, a verified portal-user session (the portal's own token, and
a login that is still alive: user active, portal on, customer active), and units of work for the sign-in
flows, which have no principal yet."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from contracts import Actor
from portal.adapters import repository
from portal.adapters.owners import Owners
from portal.adapters.security import PortalSession
from portal.service.auth import standing_of
from portal.service.context import Portal, now
from servicekit.context import current_correlation_id
from servicekit.deps import LocalCopiesDep, RuntimeDep
from servicekit.problems import Forbidden, Unauthorized
from servicekit.unit_of_work import UnitOfWork

_bearer = HTTPBearer(auto_error=False, description="A portal access token from /v1/portal/auth/login.")


async def get_portal(request: Request) -> Portal:
    portal: Portal = request.app.state.portal
    return portal


async def get_owners(request: Request) -> Owners:
    owners: Owners = request.app.state.owners
    return owners


PortalDep = Annotated[Portal, Depends(get_portal)]
OwnersDep = Annotated[Owners, Depends(get_owners)]


async def check_session(
    runtime: RuntimeDep, copies: LocalCopiesDep, portal: Portal, token: str
) -> PortalSession:
    """The portal session the access token names, if it still may be used: 401 for a token that is not
    the portal's, or whose login has ended (logout, reuse of a refresh token, a lost login); 403 with the
    reason while the portal is suspended or off."""
    session = portal.tokens.verify(token)
    uow = UnitOfWork(
        runtime.session_factory,
        service_name="portal",
        actor=session.user.actor,
        correlation_id=current_correlation_id(),
    )
    async with uow:
        if not await repository.family_alive(uow.session, session.family_id, now()):
            raise Unauthorized("The session has ended; log in again.")
        user = await repository.get_user(uow.session, session.user_id)
        if user is None:
            raise Unauthorized("The session has ended; log in again.")
        standing = await standing_of(uow, copies, user)
        if not standing.allowed:
            raise Forbidden(standing.reason or "Refused.")
    return session


async def get_portal_session(
    runtime: RuntimeDep,
    copies: LocalCopiesDep,
    portal: PortalDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> PortalSession:
    if credentials is None:
        raise Unauthorized("Send a portal access token in the Authorization header.", invalid_token=False)
    return await check_session(runtime, copies, portal, credentials.credentials)


PortalUser = Annotated[PortalSession, Depends(get_portal_session)]

SIGN_IN = Actor(kind="service", id="portal", name="Portal sign-in")


async def get_sign_in_uow(runtime: RuntimeDep) -> UnitOfWork:
    """A unit of work for login, refresh, invitations and resets: no one is signed in yet."""
    return UnitOfWork(
        runtime.session_factory,
        service_name=runtime.settings.service_name,
        actor=SIGN_IN,
        correlation_id=current_correlation_id(),
    )


SignInUow = Annotated[UnitOfWork, Depends(get_sign_in_uow)]


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"
