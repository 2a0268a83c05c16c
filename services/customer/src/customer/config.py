"""The customer service's settings: the shared ones with this service's defaults for a local run."""

from __future__ import annotations

from servicekit.settings import ServiceSettings


class Settings(ServiceSettings):
    service_name: str = "customer"
    port: int = 8001
    database_url: str = "postgresql+asyncpg://customer:customer@127.0.0.1:5432/customer"
