"""Every service's command line: `<service>-service serve` and `<service>-service migrate`.

`serve` runs uvicorn with `WORKERS` processes (each builds the app from the factory and runs its own
relay, consumer and housekeeping; the relay's leader lock and the consumers' competition keep that
correct). `migrate` applies the service's Alembic migrations and exits: the production start order.
"""

from __future__ import annotations

import argparse
import asyncio
import os
from pathlib import Path

import uvicorn

from servicekit.db import create_engine
from servicekit.migrations import upgrade_database
from servicekit.settings import ServiceSettings


async def migrate(settings: ServiceSettings, migrations: Path) -> None:
    engine = create_engine(settings.database_url)
    try:
        await upgrade_database(engine, migrations)
    finally:
        await engine.dispose()


def run_service(settings: ServiceSettings, *, app_factory: str, migrations: Path) -> None:
    """Parse `serve|migrate` and do it. `app_factory` is the import path of the app factory
    (`customer.main:create_app`): uvicorn imports it in each worker process."""
    parser = argparse.ArgumentParser(prog=f"{settings.service_name}-service")
    parser.add_argument("command", choices=["serve", "migrate"])
    if parser.parse_args().command == "migrate":
        asyncio.run(migrate(settings, migrations))
        return
    if settings.workers > 1 and settings.migrate_on_start:
        # Migrate once here, then tell the workers (which read the same environment) not to: several
        # processes running Alembic at the same moment would race each other.
        asyncio.run(migrate(settings, migrations))
        os.environ["MIGRATE_ON_START"] = "false"
    uvicorn.run(
        app_factory,
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=settings.workers,
        forwarded_allow_ips=settings.forwarded_allow_ips,
        log_config=None,
        access_log=False,
    )
