"""The activity service: its app and its command line (`activity-service serve|migrate`)."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from activity.api import activities, export
from activity.config import Settings
from activity.consumers import HANDLERS
from servicekit.app import create_service_app
from servicekit.cli import run_service

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


def create_app(config: Settings | None = None) -> FastAPI:
    return create_service_app(
        config or Settings(),
        title="Activity service",
        description="Notes, calls, meetings, tasks and calendar entries logged on customers.",
        # The export first: `/v1/activities/export` is not an activity id.
        routers=[export.router, activities.router],
        migrations=MIGRATIONS,
        publishes=True,
        handlers=HANDLERS,
    )


def run() -> None:
    run_service(Settings(), app_factory="activity.main:create_app", migrations=MIGRATIONS)


if __name__ == "__main__":
    run()
