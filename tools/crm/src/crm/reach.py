"""What the operator commands share: the console, naming an unreachable service in one line, and the
token a command sends to the services."""

from __future__ import annotations

import logging
from typing import Annotated, Any, NoReturn
from urllib.parse import urlsplit, urlunsplit

import typer
from rich.console import Console

from servicekit.auth import issue_token
from servicekit.settings import JwtSettings

# aio-pika logs a failed connect attempt itself; the commands say it once, in their own words.
for _name in ("aiormq", "aio_pika"):
    logging.getLogger(_name).setLevel(logging.CRITICAL)

console = Console(stderr=True)
"""Progress bars and errors."""


def output() -> Console:
    """Where tables go (stdout), made when needed so it takes the terminal's width of that moment."""
    return Console()


SERVICE_URLS = {
    "customer": "http://127.0.0.1:8001",
    "contact": "http://127.0.0.1:8002",
    "activity": "http://127.0.0.1:8003",
    "search": "http://127.0.0.1:8004",
    "portal": "http://127.0.0.1:8005",
}
"""Where `scripts/up.sh` starts each service."""


def _url_option(service: str) -> Any:
    return typer.Option(envvar=f"CRM_{service.upper()}_URL", help=f"The {service} service.")


CustomerUrl = Annotated[str, _url_option("customer")]
ContactUrl = Annotated[str, _url_option("contact")]
ActivityUrl = Annotated[str, _url_option("activity")]
SearchUrl = Annotated[str, _url_option("search")]
PortalUrl = Annotated[str, _url_option("portal")]
"""A command's option for a service's base URL (also from `CRM_<SERVICE>_URL`)."""


def without_password(url: str) -> str:
    """The URL as it may be printed: a password in it is replaced by ***."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    if parts.port is not None:
        host = f"{host}:{parts.port}"
    return urlunsplit(parts._replace(netloc=f"{parts.username}:***@{host}"))


def give_up(message: str) -> NoReturn:
    """One red line on stderr and exit 1: what an operator sees instead of a traceback."""
    console.print(f"[red]{message}[/red]", soft_wrap=True, highlight=False)
    raise typer.Exit(1)


def staff_token(office: str, subject: str = "crm-operator") -> str:
    """A token of an office admin of `office`, signed as `crm token` signs (JWT_SECRET)."""
    return issue_token(
        JwtSettings(), subject=subject, office_id=office, roles=["office_admin"], name="crm operator"
    )
