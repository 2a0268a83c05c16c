"""The contact service: its app and its command line (`contact-service serve|migrate`)."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from contact.api import contacts, export, internal, portal_edits
from contact.config import Settings
from contact.consumers import HANDLERS
from servicekit.app import create_service_app
from servicekit.cli import run_service

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


def create_app(config: Settings | None = None) -> FastAPI:
    return create_service_app(
        config or Settings(),
        title="Contact service",
        description="The contact persons of customers: names, email, phone, roles, the main contact.",
        routers=[export.router, contacts.router, internal.router, portal_edits.router],  # export first
        migrations=MIGRATIONS,
        publishes=True,
        handlers=HANDLERS,
    )


def run() -> None:
    run_service(Settings(), app_factory="contact.main:create_app", migrations=MIGRATIONS)


if __name__ == "__main__":
    run()
