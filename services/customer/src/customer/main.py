"""The customer service: its app and its command line (`customer-service serve|migrate`)."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from customer.api import (
    addresses,
    categories,
    custom_fields,
    customers,
    history,
    internal,
    links,
    portal_edits,
)
from customer.api import settings as office_settings
from customer.config import Settings
from customer.consumers import HANDLERS
from servicekit.app import create_service_app
from servicekit.cli import run_service

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
            portal_edits.router,
        ],
        migrations=MIGRATIONS,
        publishes=True,
        handlers=HANDLERS,
    )


def run() -> None:
    run_service(Settings(), app_factory="customer.main:create_app", migrations=MIGRATIONS)


if __name__ == "__main__":
    run()
