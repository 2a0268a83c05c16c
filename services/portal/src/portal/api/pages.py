"""The portal's web pages under /portal/: login, my company, my contacts, my catalogs, set password from an
invitation, reset password, logout. Server-rendered (Jinja2), no JavaScript.

- A login keeps the same tokens the API gives, in cookies: the access token (`portal_access`) and the
  refresh token (`portal_refresh`, sent only to /portal). Both HttpOnly and SameSite=Strict, Secure outside
  local runs. An expired access token is renewed with the refresh token (rotated as in the API).
- Every form carries a CSRF token that must equal the `portal_csrf` cookie (double submit; the cookie is
  SameSite=Strict too, so another site can neither read nor send it).
- Every page answers with a Content-Security-Policy that allows only this site's stylesheet and forms,
  `no-store`, and no referrer (an invitation or reset link has its token in the path).
"""

from __future__ import annotations

import secrets
import uuid
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, FastAPI, Form, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from contracts.portal import RESOURCE_KINDS
from domainkit import DomainError
from portal.adapters.security import PortalSession
from portal.api.auth import RESET_ANSWER
from portal.api.deps import SIGN_IN, check_session, client_address
from portal.config import Settings
from portal.service import auth as auth_use_cases
from portal.service import me as me_use_cases
from portal.service.auth import Refused, Tokens
from portal.service.context import Portal
from servicekit.context import current_correlation_id
from servicekit.problems import Problem
from servicekit.runtime import ServiceRuntime
from servicekit.transactions import run_in_transaction
from servicekit.unit_of_work import UnitOfWork

PACKAGE = Path(__file__).resolve().parents[1]
templates = Environment(
    loader=FileSystemLoader(PACKAGE / "templates"), autoescape=select_autoescape(["html"]), enable_async=False
)
router = APIRouter(prefix="/portal", include_in_schema=False)

ACCESS_COOKIE, REFRESH_COOKIE, CSRF_COOKIE = "portal_access", "portal_refresh", "portal_csrf"
CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)
RESOURCE_LABELS = {
    "price_books": "Price books",
    "quote_templates": "Quote templates",
    "discounts": "Discounts",
    "contracts": "Contracts",
    "payment_terms": "Payment terms",
    "payment_methods": "Payment methods",
}
FormText = Annotated[str, Form(max_length=1024)]


class PageHeaders:
    """Adds the security headers to every answer under /portal."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not str(scope.get("path", "")).startswith("/portal"):
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                message["headers"] += [
                    (b"content-security-policy", CSP.encode()),
                    (b"x-content-type-options", b"nosniff"),
                    (b"referrer-policy", b"no-referrer"),
                    (b"x-frame-options", b"DENY"),
                    (b"cache-control", b"no-store"),
                ]
            await send(message)

        await self.app(scope, receive, with_headers)


def install(app: FastAPI, settings: Settings) -> None:
    del settings
    app.mount("/portal/static", StaticFiles(directory=PACKAGE / "static"), name="portal-static")
    app.add_middleware(PageHeaders)


def _portal(request: Request) -> Portal:
    portal: Portal = request.app.state.portal
    return portal


def _runtime(request: Request) -> ServiceRuntime:
    runtime: ServiceRuntime = request.app.state.runtime
    return runtime


def _uow(request: Request) -> UnitOfWork:
    return UnitOfWork(
        _runtime(request).session_factory,
        service_name="portal",
        actor=SIGN_IN,
        correlation_id=current_correlation_id(),
    )


def _csrf(request: Request) -> str:
    return request.cookies.get(CSRF_COOKIE) or request.state.__dict__.setdefault(
        "csrf", secrets.token_urlsafe(24)
    )


def _cookie(
    request: Request, response: Response, name: str, value: str, max_age: int, path: str = "/portal"
) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path=path,
        httponly=True,
        samesite="strict",
        secure=_portal(request).settings.secure_cookies,
    )


def render(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    csrf = _csrf(request)
    html = templates.get_template(template).render(csrf_token=csrf, **context)
    response = HTMLResponse(html, status_code=status_code)
    if request.cookies.get(CSRF_COOKIE) != csrf:
        _cookie(request, response, CSRF_COOKIE, csrf, 12 * 3600)
    return response


def _csrf_ok(request: Request, sent: str) -> bool:
    cookie = request.cookies.get(CSRF_COOKIE)
    return bool(cookie) and secrets.compare_digest(cookie or "", sent)


def _expired_form(request: Request) -> HTMLResponse:
    return render(
        request,
        "message.html",
        403,
        title="Please try again",
        error="This form was open too long or came from elsewhere. Reload the page and send it again.",
    )


def _set_session(request: Request, response: Response, tokens: Tokens) -> None:
    settings = _portal(request).settings
    _cookie(request, response, ACCESS_COOKIE, tokens.access_token, settings.portal_refresh_token_ttl_s)
    _cookie(request, response, REFRESH_COOKIE, tokens.refresh_token, settings.portal_refresh_token_ttl_s)


def _clear_session(response: Response) -> None:
    for name in (ACCESS_COOKIE, REFRESH_COOKIE):
        response.delete_cookie(name, path="/portal")


async def _session(request: Request) -> tuple[PortalSession | None, Tokens | None]:
    """The signed-in session of the page's cookies, renewing an expired access token with the refresh
    token (the new tokens are returned to be set as cookies). None when no one is signed in."""
    portal, runtime = _portal(request), _runtime(request)
    access = request.cookies.get(ACCESS_COOKIE)
    if access:
        try:
            return await check_session(runtime, runtime.copies, portal, access), None
        except Problem as problem:
            if problem.status != 401:
                raise
    refresh = request.cookies.get(REFRESH_COOKIE)
    if not refresh:
        return None, None
    outcome = await run_in_transaction(
        _uow(request), lambda uow: auth_use_cases.refresh(uow, portal, runtime.copies, refresh)
    )
    if isinstance(outcome, Refused):
        return None, None
    return await check_session(runtime, runtime.copies, portal, outcome.access_token), outcome


def _to_login(notice: str | None = None) -> RedirectResponse:
    response = RedirectResponse("/portal/login" + ("?ended=1" if notice else ""), status_code=303)
    _clear_session(response)
    return response


async def _signed_in_page(request: Request, page: str) -> Response:
    try:
        session, renewed = await _session(request)
    except Problem as problem:  # 403: the portal is suspended or off, the login disabled
        response = render(request, "message.html", problem.status, title="No access", error=problem.detail)
        _clear_session(response)
        return response
    if session is None:
        return _to_login()
    notice = {"saved": "Saved."}.get(request.query_params.get("done", ""))
    error = request.query_params.get("error")
    context: dict[str, Any] = {
        "signed_in": True,
        "page": page,
        "notice": notice,
        "error": error,
        "can_edit": "edit_company" in session.user.portal_permissions,
    }
    owners, runtime = request.app.state.owners, _runtime(request)
    if page == "company":
        try:
            company = await me_use_cases.company(owners, session.user)
        except Problem as problem:  # the customer service cannot be reached: say so, as a page
            shown = context | {"title": "My company", "error": problem.detail}
            return render(request, "message.html", problem.status, **shown)
        context |= {"title": "My company", "company": company}
    elif page == "contacts":
        async with runtime.session_factory() as connection:
            context |= {
                "title": "My contacts",
                "contacts": await me_use_cases.contacts(connection, session.user),
            }
    else:
        async with runtime.session_factory() as connection:
            catalogs, resources = await me_use_cases.catalogs(connection, session.user)
        kinds = [(kind, RESOURCE_LABELS[kind]) for kind in RESOURCE_KINDS]
        context |= {
            "title": "My catalogs",
            "catalogs": catalogs,
            "resources": resources,
            "resource_kinds": kinds,
        }
    response = render(request, f"{page}.html", **context)
    if renewed is not None:
        _set_session(request, response, renewed)
    return response


@router.get("", response_model=None)
@router.get("/", response_model=None)
async def home() -> RedirectResponse:
    return RedirectResponse("/portal/company", status_code=303)


@router.get("/login", response_model=None)
async def login_page(request: Request) -> Response:
    ended = request.query_params.get("ended")
    notice = "You are logged out." if ended else None
    return render(request, "login.html", title="Log in", notice=notice)


@router.post("/login", response_model=None)
async def login(request: Request, email: FormText, password: FormText, csrf_token: FormText = "") -> Response:
    if not _csrf_ok(request, csrf_token):
        return _expired_form(request)
    portal, runtime = _portal(request), _runtime(request)
    client = client_address(request)
    outcome = await run_in_transaction(
        _uow(request), lambda uow: auth_use_cases.login(uow, portal, runtime.copies, email, password, client)
    )
    if isinstance(outcome, Refused):
        response = render(
            request, "login.html", outcome.status, title="Log in", error=outcome.detail, email=email
        )
        if outcome.retry_after_s:
            response.headers["Retry-After"] = str(outcome.retry_after_s)
        return response
    signed_in = RedirectResponse("/portal/company", status_code=303)
    _set_session(request, signed_in, outcome)
    return signed_in


@router.post("/logout", response_model=None)
async def logout(request: Request, csrf_token: FormText = "") -> Response:
    if not _csrf_ok(request, csrf_token):
        return _expired_form(request)
    refresh = request.cookies.get(REFRESH_COOKIE)
    if refresh:
        await run_in_transaction(
            _uow(request), lambda uow: auth_use_cases.logout_by_refresh_token(uow, refresh)
        )
    return _to_login("ended")


@router.get("/company", response_model=None)
async def company_page(request: Request) -> Response:
    return await _signed_in_page(request, "company")


@router.get("/contacts", response_model=None)
async def contacts_page(request: Request) -> Response:
    return await _signed_in_page(request, "contacts")


@router.get("/catalogs", response_model=None)
async def catalogs_page(request: Request) -> Response:
    return await _signed_in_page(request, "catalogs")


async def _edit(request: Request, csrf_token: str, back: str, change: Any) -> Response:
    if not _csrf_ok(request, csrf_token):
        return _expired_form(request)
    try:
        session, renewed = await _session(request)
    except Problem:
        return _to_login()
    if session is None:
        return _to_login()
    try:
        await change(session)
        response: Response = RedirectResponse(f"{back}?done=saved", status_code=303)
    except (Problem, DomainError) as refused:
        detail = refused.detail
        response = render(
            request,
            "message.html",
            422 if isinstance(refused, DomainError) else refused.status,
            title="Not saved",
            error=f"Not saved: {detail}",
            signed_in=True,
        )
    if renewed is not None:
        _set_session(request, response, renewed)
    return response


def _fields(**sent: str) -> dict[str, str | None]:
    """Form fields as a change: an emptied field clears the value."""
    return {name: (value.strip() or None) for name, value in sent.items()}


@router.post("/company/addresses/{address_id}", response_model=None)
async def change_address(
    request: Request,
    address_id: uuid.UUID,
    line1: FormText = "",
    postal_code: FormText = "",
    city: FormText = "",
    csrf_token: FormText = "",
) -> Response:
    changes = _fields(line1=line1, postal_code=postal_code, city=city)

    async def change(session: PortalSession) -> None:
        await me_use_cases.change_address(request.app.state.owners, session.user, address_id, changes, None)

    return await _edit(request, csrf_token, "/portal/company", change)


@router.post("/contacts/{contact_id}/phone", response_model=None)
async def change_phone(
    request: Request, contact_id: uuid.UUID, phone: FormText = "", csrf_token: FormText = ""
) -> Response:
    changes = _fields(phone=phone)

    async def change(session: PortalSession) -> None:
        async with _runtime(request).session_factory() as connection:
            await me_use_cases.change_contact(
                request.app.state.owners, connection, session.user, contact_id, changes, None
            )
            await connection.commit()

    return await _edit(request, csrf_token, "/portal/contacts", change)


def _password_form(
    request: Request, action: str, title: str, status_code: int = 200, error: str | None = None
) -> HTMLResponse:
    return render(request, "set_password.html", status_code, title=title, action=action, error=error)


async def _set_password(
    request: Request,
    action: str,
    title: str,
    password: str,
    confirm: str,
    csrf_token: str,
    use_case: Any,
    done: str,
) -> Response:
    if not _csrf_ok(request, csrf_token):
        return _expired_form(request)
    if password != confirm:
        return _password_form(request, action, title, 422, "The two passwords are not the same.")
    try:
        await run_in_transaction(_uow(request), use_case)
    except DomainError as refused:
        message = refused.errors[0]["message"] if refused.errors else refused.detail
        field = refused.errors[0]["field"] if refused.errors else ""
        sentence = (
            f"The password {message}."
            if field == "password"
            else f"This link {message.removeprefix('the invitation link ').removeprefix('the reset link ')}."
        )
        return _password_form(request, action, title, 422, sentence)
    return render(request, "message.html", title="Password saved", notice=done)


@router.get("/invitation/{token}", response_model=None)
async def invitation_page(request: Request, token: str) -> Response:
    return _password_form(request, f"/portal/invitation/{token}", "Choose your password")


@router.post("/invitation/{token}", response_model=None)
async def accept_invitation(
    request: Request, token: str, password: FormText, confirm: FormText, csrf_token: FormText = ""
) -> Response:
    portal = _portal(request)
    return await _set_password(
        request,
        f"/portal/invitation/{token}",
        "Choose your password",
        password,
        confirm,
        csrf_token,
        lambda uow: auth_use_cases.accept_invitation(uow, portal, token, password),
        "Your password is saved. You can log in now.",
    )


@router.get("/reset", response_model=None)
async def reset_request_page(request: Request) -> Response:
    return render(request, "reset_request.html", title="Reset your password")


@router.post("/reset", response_model=None)
async def request_reset(request: Request, email: FormText, csrf_token: FormText = "") -> Response:
    if not _csrf_ok(request, csrf_token):
        return _expired_form(request)
    await run_in_transaction(_uow(request), lambda uow: auth_use_cases.request_password_reset(uow, email))
    return render(request, "message.html", title="Check your mail", notice=RESET_ANSWER)


@router.get("/reset/{token}", response_model=None)
async def reset_page(request: Request, token: str) -> Response:
    return _password_form(request, f"/portal/reset/{token}", "Choose a new password")


@router.post("/reset/{token}", response_model=None)
async def reset_password(
    request: Request, token: str, password: FormText, confirm: FormText, csrf_token: FormText = ""
) -> Response:
    portal = _portal(request)
    return await _set_password(
        request,
        f"/portal/reset/{token}",
        "Choose a new password",
        password,
        confirm,
        csrf_token,
        lambda uow: auth_use_cases.reset_password(uow, portal, token, password),
        "Your new password is saved; every other session has ended. You can log in now.",
    )
