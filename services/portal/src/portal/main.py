"""The portal service: its app and its command line (`portal-service serve|migrate`)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI

from portal.adapters.owners import Owners
from portal.api import auth, me, pages, staff
from portal.config import Settings
from portal.consumers import handlers
from portal.service.context import Portal
from servicekit.app import create_service_app
from servicekit.cli import run_service

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


def create_app(config: Settings | None = None) -> FastAPI:
    settings = config or Settings()
    portal = Portal.of(settings)

    @asynccontextmanager
    async def portal_lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.portal = portal
        app.state.owners = Owners(settings)
        try:
            yield
        finally:
            await app.state.owners.close()

    app = create_service_app(
        settings,
        title="Portal service",
        description="Portal access per customer, customer-user logins and sessions, catalogs and linked "
        "resources, and the portal's web pages under /portal/.",
        routers=[staff.router, auth.router, me.router, pages.router],
        migrations=MIGRATIONS,
        publishes=True,
        handlers=handlers(portal),
        service_lifespan=portal_lifespan,
    )
    pages.install(app, settings)
    return app


def run() -> None:
    run_service(Settings(), app_factory="portal.main:create_app", migrations=MIGRATIONS)


if __name__ == "__main__":
    run()
