"""The customer service: its app and its command line (`customer-service serve|migrate`)."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from customer.api import (
    addresses,
    categories,
    custom_fields,
    customers,
    export,
    history,
    imports,
    internal,
    links,
    portal_edits,
)
from customer.api import settings as office_settings
from customer.config import Settings
from customer.consumers import HANDLERS
from customer.imports.contacts import ContactRows
from customer.imports.rows import CustomerRows
from servicekit.app import create_service_app
from servicekit.cli import run_service
from servicekit.imports.worker import ImportWorker
from servicekit.runtime import ServiceRuntime

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


def create_app(config: Settings | None = None) -> FastAPI:
    settings = config or Settings()
    return create_service_app(
        settings,
        title="Customer service",
        description="Customers, their numbers, addresses, tax IDs, categories and custom fields.",
        routers=[
            export.router,  # before customers: /v1/customers/export is no customer id
            imports.router,
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
        background=[lambda runtime: import_worker(runtime, settings)],
    )


def import_worker(runtime: ServiceRuntime, settings: Settings) -> ImportWorker:
    """The worker that runs this service's import jobs (`servicekit.imports.worker`)."""
    return ImportWorker(
        service_name=settings.service_name,
        engine=runtime.engine,
        session_factory=runtime.session_factory,
        appliers={"customers": CustomerRows(runtime.copies), "contacts": ContactRows(runtime)},
        batch_size=settings.import_batch_size,
        max_rows=settings.import_max_rows,
        poll_interval_s=settings.import_poll_interval_s,
    )


def run() -> None:
    run_service(Settings(), app_factory="customer.main:create_app", migrations=MIGRATIONS)


if __name__ == "__main__":
    run()
