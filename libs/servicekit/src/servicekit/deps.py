"""FastAPI dependencies every service's routes use: who is calling, what they may do, a unit of work.

Routes name the caller by what they need, e.g. ``user: Editor`` (an office user whose role allows editing,
403 otherwise) or ``caller: CurrentCustomerUser`` (a portal user); the office id of an `OfficeUser` is
always set, so no route checks it again.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Coroutine
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.ext.asyncio import AsyncConnection

from servicekit.auth import CustomerUser, OfficeUser, Permission, Principal, ServiceCaller
from servicekit.context import current_correlation_id
from servicekit.local_copies import LocalCopies
from servicekit.problems import Forbidden, Unauthorized
from servicekit.runtime import ServiceRuntime
from servicekit.unit_of_work import UnitOfWork

_bearer = HTTPBearer(auto_error=False, description="A JWT from the identity provider, or `crm token`.")


async def get_runtime(request: Request) -> ServiceRuntime:
    # async, like every dependency here: FastAPI runs a plain `def` dependency in a thread pool, a
    # thread hop on every request for nothing.
    runtime: ServiceRuntime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[ServiceRuntime, Depends(get_runtime)]


async def get_principal(
    runtime: RuntimeDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    if credentials is None:
        raise Unauthorized("Send a bearer token in the Authorization header.", invalid_token=False)
    return await runtime.verifier.verify(credentials.credentials)


CurrentPrincipal = Annotated[Principal, Depends(get_principal)]


async def get_office_user(principal: CurrentPrincipal) -> OfficeUser:
    if not isinstance(principal, OfficeUser):
        raise Forbidden("This endpoint is for internal users.")
    return principal


async def get_customer_user(principal: CurrentPrincipal) -> CustomerUser:
    if not isinstance(principal, CustomerUser):
        raise Forbidden("This endpoint is for portal users.")
    return principal


async def get_service(principal: CurrentPrincipal) -> ServiceCaller:
    if not isinstance(principal, ServiceCaller):
        raise Forbidden("This endpoint is for the platform's services only.")
    return principal


CurrentUser = Annotated[OfficeUser, Depends(get_office_user)]
CurrentCustomerUser = Annotated[CustomerUser, Depends(get_customer_user)]
CurrentService = Annotated[ServiceCaller, Depends(get_service)]


def require(permission: Permission) -> Callable[[OfficeUser], Coroutine[Any, Any, OfficeUser]]:
    """A dependency that lets through only office users whose roles grant `permission` (403 otherwise)."""

    async def check(user: CurrentUser) -> OfficeUser:
        user.require(permission)
        return user

    return check


Viewer = Annotated[OfficeUser, Depends(require(Permission.VIEW))]
Creator = Annotated[OfficeUser, Depends(require(Permission.CREATE))]
Editor = Annotated[OfficeUser, Depends(require(Permission.EDIT))]
Deleter = Annotated[OfficeUser, Depends(require(Permission.DELETE))]
Admin = Annotated[OfficeUser, Depends(require(Permission.ADMINISTER_OFFICE))]


async def get_session(runtime: RuntimeDep) -> AsyncIterator[AsyncConnection]:
    """A session for queries that change nothing."""
    async with runtime.session_factory() as session:
        yield session


async def get_unit_of_work(runtime: RuntimeDep, principal: CurrentPrincipal) -> UnitOfWork:
    """A unit of work, not yet open, acting as the caller (of whatever kind). `servicekit.transactions`
    opens and commits it around the use case."""
    return UnitOfWork(
        runtime.session_factory,
        service_name=runtime.settings.service_name,
        actor=principal.actor,
        correlation_id=current_correlation_id(),
    )


async def get_local_copies(runtime: RuntimeDep) -> LocalCopies:
    """The service's copies of other services' customers and contacts (`servicekit.local_copies`)."""
    return runtime.copies


SessionDep = Annotated[AsyncConnection, Depends(get_session)]
LocalCopiesDep = Annotated[LocalCopies, Depends(get_local_copies)]
UnitOfWorkDep = Annotated[UnitOfWork, Depends(get_unit_of_work)]
