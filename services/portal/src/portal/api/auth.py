"""Portal users' sign-in: login, refresh, logout, accepting an invitation, password reset. No bearer token
is needed here; every answer is the same whether or not an email exists."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response, status

from portal.api.deps import PortalDep, SignInUow, client_address
from portal.api.schemas import Accepted, LoginIn, PasswordIn, RefreshIn, ResetRequestIn, TokensOut
from portal.api.schemas import Token as TokenText
from portal.service import auth as use_cases
from portal.service.auth import Refused, Tokens
from servicekit.deps import LocalCopiesDep
from servicekit.openapi import responses
from servicekit.problems import Problem, Unauthorized
from servicekit.transactions import run_in_transaction

router = APIRouter(prefix="/v1/portal/auth", tags=["portal sign-in"])

RESET_ANSWER = "If a portal login has this email, a mail with a link to choose a new password is on its way."


def answer(outcome: Tokens | Refused) -> TokensOut:
    if isinstance(outcome, Refused):
        if outcome.status == 401:
            raise Unauthorized(outcome.detail)
        headers = {"Retry-After": str(outcome.retry_after_s)} if outcome.retry_after_s else None
        title = "Too many requests" if outcome.status == 429 else "Forbidden"
        raise Problem(outcome.detail, status=outcome.status, title=title, headers=headers)
    return TokensOut(
        access_token=outcome.access_token, refresh_token=outcome.refresh_token, expires_in=outcome.expires_in
    )


@router.post("/login", response_model=TokensOut, responses=responses(403, 422, 429, etag=False))
async def login(
    body: LoginIn, request: Request, uow: SignInUow, portal: PortalDep, copies: LocalCopiesDep
) -> TokensOut:
    """Log in with email and password: a short-lived access token for the portal's user endpoints and a
    refresh token. Wrong email and wrong password get the same 401; repeated failures lock the email
    and the client address for a while (429 with Retry-After); a suspended portal is a 403 that says so."""
    client = client_address(request)
    outcome = await run_in_transaction(
        uow, lambda uow: use_cases.login(uow, portal, copies, body.email, body.password, client)
    )
    return answer(outcome)


@router.post("/refresh", response_model=TokensOut, responses=responses(403, 422, etag=False))
async def refresh(body: RefreshIn, uow: SignInUow, portal: PortalDep, copies: LocalCopiesDep) -> TokensOut:
    """Exchange a refresh token for new tokens; each refresh token works once. Using one again ends every
    session of that login."""
    outcome = await run_in_transaction(
        uow, lambda uow: use_cases.refresh(uow, portal, copies, body.refresh_token)
    )
    return answer(outcome)


@router.post(
    "/logout", status_code=status.HTTP_204_NO_CONTENT, responses=responses(422, success=(204,), etag=False)
)
async def logout(body: RefreshIn, uow: SignInUow) -> Response:
    """End the login the refresh token belongs to (its access tokens stop working at once)."""
    await run_in_transaction(uow, lambda uow: use_cases.logout_by_refresh_token(uow, body.refresh_token))
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/invitations/{token}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=responses(422, success=(204,), etag=False),
)
async def accept_invitation(
    token: TokenText, body: PasswordIn, uow: SignInUow, portal: PortalDep
) -> Response:
    """Choose your password from the invitation link (at least 8 characters, not a common password)."""
    await run_in_transaction(uow, lambda uow: use_cases.accept_invitation(uow, portal, token, body.password))
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/password-reset",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=Accepted,
    responses=responses(422, success=(202,), etag=False),
)
async def request_password_reset(body: ResetRequestIn, uow: SignInUow) -> Accepted:
    """Ask for a mail with a link to choose a new password; answered the same for any email."""
    await run_in_transaction(uow, lambda uow: use_cases.request_password_reset(uow, body.email))
    return Accepted(detail=RESET_ANSWER)


@router.post(
    "/password-reset/{token}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=responses(422, success=(204,), etag=False),
)
async def reset_password(token: TokenText, body: PasswordIn, uow: SignInUow, portal: PortalDep) -> Response:
    """Choose a new password from the reset link (once, within its time); every session ends."""
    await run_in_transaction(uow, lambda uow: use_cases.reset_password(uow, portal, token, body.password))
    return Response(status_code=status.HTTP_204_NO_CONTENT)
