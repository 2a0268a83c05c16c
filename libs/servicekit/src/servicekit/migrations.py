"""Alembic glue shared by every service: its `env.py` is two lines, and start-up can migrate."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path

from alembic import command, context
from alembic.config import Config
from sqlalchemy import Connection, MetaData
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from servicekit.messaging_tables import messaging_metadata


def alembic_config(script_location: Path) -> Config:
    config = Config()
    config.set_main_option("script_location", str(script_location))
    return config


async def upgrade_database(
    engine: AsyncEngine, script_location: Path, revision: str = "head", *, downgrade: bool = False
) -> None:
    """Run the service's migrations up (or, with `downgrade`, down) to `revision`."""
    config = alembic_config(script_location)

    def upgrade(connection: Connection) -> None:
        config.attributes["connection"] = connection
        (command.downgrade if downgrade else command.upgrade)(config, revision)

    async with engine.begin() as connection:
        await connection.run_sync(upgrade)


def run_migrations(service_metadata: MetaData | Sequence[MetaData], database_url: str | None = None) -> None:
    """Body of a service's Alembic `env.py`: migrate on the connection handed over by
    `upgrade_database`, or (when the `alembic` command runs it) on `database_url`. `service_metadata` is
    the service's own tables, or a list of them with the kit's copy tables it keeps
    (`servicekit.copy_tables`), so that autogenerate compares every table the service has."""
    own = [service_metadata] if isinstance(service_metadata, MetaData) else list(service_metadata)
    target_metadata = [*own, messaging_metadata]

    def migrate(connection: Connection) -> None:
        context.configure(connection=connection, target_metadata=target_metadata, compare_type=True)
        with context.begin_transaction():
            context.run_migrations()

    connection = context.config.attributes.get("connection")
    if connection is not None:
        migrate(connection)
        return
    if database_url is None:
        raise RuntimeError("No database to migrate: pass database_url or run through upgrade_database")

    async def migrate_from_url() -> None:
        engine = create_async_engine(database_url)
        async with engine.begin() as async_connection:
            await async_connection.run_sync(migrate)
        await engine.dispose()

    asyncio.run(migrate_from_url())
