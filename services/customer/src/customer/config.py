"""The customer service's settings: the shared ones with this service's defaults for a local run."""

from __future__ import annotations

from servicekit.settings import ServiceSettings


class Settings(ServiceSettings):
    service_name: str = "customer"
    port: int = 8001
    database_url: str = "postgresql+asyncpg://customer:customer@127.0.0.1:5432/customer"
    import_max_bytes: int = 50 * 1024 * 1024
    """The largest import file accepted (413 above it)."""
    import_max_rows: int = 200_000
    """The most rows one import job takes; a longer file's job fails before applying any row."""
    import_batch_size: int = 500
    """Rows applied per transaction by the import worker."""
    import_poll_interval_s: float = 2.0
    """How often the import worker looks for jobs it was not woken for (another process's, or left
    unfinished by a process that died)."""
