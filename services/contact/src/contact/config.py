"""The contact service's settings: the shared ones with this service's defaults for a local run."""

from __future__ import annotations

from servicekit.settings import ServiceSettings


class Settings(ServiceSettings):
    service_name: str = "contact"
    port: int = 8002
    database_url: str = "postgresql+asyncpg://contact:contact@127.0.0.1:5432/contact"
