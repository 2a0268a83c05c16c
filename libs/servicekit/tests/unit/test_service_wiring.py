"""What build_runtime gives a service: the background workers every service runs, and only those."""

from __future__ import annotations

from datetime import timedelta

from servicekit.app import build_runtime
from servicekit.settings import ServiceSettings


def settings_of(service_name: str, **overrides: object) -> ServiceSettings:
    return ServiceSettings(
        service_name=service_name,
        port=8000,
        database_url=f"postgresql+asyncpg://{service_name}:{service_name}@127.0.0.1:5432/{service_name}",
        **overrides,
    )


def test_every_service_runs_housekeeping_with_its_configured_retention_publishing_or_not():
    for publishes in (True, False):
        runtime = build_runtime(
            settings_of("ledger", inbox_retention_hours=100, idempotency_retention_hours=2),
            publishes=publishes,
        )
        assert runtime.housekeeping is not None
        assert runtime.housekeeping.retention.inbox == timedelta(hours=100)
        assert runtime.housekeeping.retention.idempotency_keys == timedelta(hours=2)
        assert runtime.housekeeping.retention.outbox == timedelta(days=7)
        assert (runtime.relay is not None) is publishes
