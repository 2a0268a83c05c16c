"""The customer service: its app and its command line (`customer-service serve|migrate`)."""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

import uvicorn
from fastapi import FastAPI

from customer.api import addresses, categories, custom_fields, customers, history, internal, links
from customer.api import settings as office_settings
from customer.config import Settings
from servicekit.app import create_service_app
from servicekit.db import create_engine
from servicekit.migrations import upgrade_database

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


def create_app(config: Settings | None = None) -> FastAPI:
    return create_service_app(
        config or Settings(),
        title="Customer service",
        description="Customers, their numbers, addresses, tax IDs, categories and custom fields.",
        routers=[
            customers.router,
            addresses.router,
            links.router,
            history.router,
            categories.router,
            custom_fields.router,
            office_settings.router,
            internal.router,
        ],
        migrations=MIGRATIONS,
        publishes=True,
    )


async def migrate(settings: Settings) -> None:
    engine = create_engine(settings.database_url)
    try:
        await upgrade_database(engine, MIGRATIONS)
    finally:
        await engine.dispose()


def run() -> None:
    parser = argparse.ArgumentParser(prog="customer-service")
    parser.add_argument("command", choices=["serve", "migrate"])
    command = parser.parse_args().command
    settings = Settings()
    if command == "migrate":
        asyncio.run(migrate(settings))
    else:
        uvicorn.run(create_app(settings), host=settings.host, port=settings.port, log_config=None)


if __name__ == "__main__":
    run()
