"""FastAPI dependencies every service's routes use: the caller, permissions, a unit of work, a session."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Coroutine
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.ext.asyncio import AsyncSession

from servicekit.auth import Permission, Principal
from servicekit.context import current_correlation_id
from servicekit.problems import Forbidden, Unauthorized
from servicekit.runtime import ServiceRuntime
from servicekit.unit_of_work import UnitOfWork

_bearer = HTTPBearer(auto_error=False, description="A JWT from the identity provider, or `crm token`.")


def get_runtime(request: Request) -> ServiceRuntime:
    runtime: ServiceRuntime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[ServiceRuntime, Depends(get_runtime)]


async def get_principal(
    runtime: RuntimeDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    if credentials is None:
        raise Unauthorized("Send a bearer token in the Authorization header.")
    return await runtime.verifier.verify(credentials.credentials)


async def get_user(principal: Annotated[Principal, Depends(get_principal)]) -> Principal:
    """An internal user of an office (not a portal user, not a service)."""
    if principal.kind != "user":
        raise Forbidden("This endpoint is for internal users.")
    return principal


async def get_service(principal: Annotated[Principal, Depends(get_principal)]) -> Principal:
    """Another service of the platform, for the internal endpoints."""
    if principal.kind != "service":
        raise Forbidden("This endpoint is for the platform's services only.")
    return principal


CurrentUser = Annotated[Principal, Depends(get_user)]
CurrentService = Annotated[Principal, Depends(get_service)]


def require(permission: Permission) -> Callable[[Principal], Coroutine[Any, Any, Principal]]:
    """A dependency that lets through only users whose roles grant `permission` (403 otherwise)."""

    async def check(user: CurrentUser) -> Principal:
        user.require(permission)
        return user

    return check


async def get_session(runtime: RuntimeDep) -> AsyncIterator[AsyncSession]:
    """A read-only session for queries that change nothing."""
    async with runtime.session_factory() as session:
        yield session


async def get_unit_of_work(runtime: RuntimeDep, user: CurrentUser) -> UnitOfWork:
    return UnitOfWork(
        runtime.session_factory,
        service_name=runtime.settings.service_name,
        actor=user.actor,
        correlation_id=current_correlation_id(),
    )


SessionDep = Annotated[AsyncSession, Depends(get_session)]
UnitOfWorkDep = Annotated[UnitOfWork, Depends(get_unit_of_work)]
