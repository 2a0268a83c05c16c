"""The portal service: its app and its command line (`portal-service serve|migrate`)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

from fastapi import FastAPI

from portal.adapters import repository
from portal.adapters.owners import Owners
from portal.api import auth, me, pages, staff
from portal.config import Settings
from portal.consumers import handlers
from portal.service.context import Portal
from servicekit.app import create_service_app
from servicekit.cli import run_service

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"
logger = logging.getLogger(__name__)


def create_app(config: Settings | None = None) -> FastAPI:
    settings = config or Settings()
    portal = Portal.of(settings)

    @asynccontextmanager
    async def portal_lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.portal = portal
        app.state.owners = Owners(settings)
        sweeping = asyncio.create_task(sweep_regularly(app, settings))
        try:
            yield
        finally:
            sweeping.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await sweeping
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


SWEEP_INTERVAL_S = 600


async def sweep_regularly(app: FastAPI, settings: Settings) -> None:
    """Every 10 minutes, forget stale throttle counts, expired refresh tokens and spent reset links
    (`repository.delete_stale`); a failed sweep is logged and tried again next time."""
    window = timedelta(seconds=settings.login_failure_window_s)
    while True:
        await asyncio.sleep(SWEEP_INTERVAL_S)
        try:
            async with app.state.runtime.session_factory() as session:
                await repository.delete_stale(session, datetime.now(UTC), window)
                await session.commit()
        except Exception:
            logger.exception("portal housekeeping failed; trying again in %s s", SWEEP_INTERVAL_S)


def run() -> None:
    run_service(Settings(), app_factory="portal.main:create_app", migrations=MIGRATIONS)


if __name__ == "__main__":
    run()
