"""The activity service's settings: the shared ones with this service's defaults for a local run."""

from __future__ import annotations

from servicekit.settings import ServiceSettings


class Settings(ServiceSettings):
    service_name: str = "activity"
    port: int = 8003
    database_url: str = "postgresql+asyncpg://activity:activity@127.0.0.1:5432/activity"
