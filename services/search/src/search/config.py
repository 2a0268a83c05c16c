"""The search service's settings: the shared ones with this service's own for a local run."""

from __future__ import annotations

from pydantic import Field

from servicekit.settings import ServiceSettings


class Settings(ServiceSettings):
    service_name: str = "search"
    port: int = 8004
    database_url: str = "postgresql+asyncpg://search:search@127.0.0.1:5432/search"
    opensearch_url: str = Field(
        default="http://127.0.0.1:9200", description="OpenSearch, e.g. http://host:9200"
    )
    opensearch_timeout_s: float = Field(default=5.0, gt=0)
    search_index_prefix: str = Field(
        default="crm",
        pattern=r"^[a-z0-9][a-z0-9_-]{0,60}$",
        description="The alias is `<prefix>-customers`, the index behind it `<prefix>-customers-v<n>`.",
    )
    search_shards: int = Field(
        default=1, ge=1, description="One shard is fastest up to millions of customers."
    )
    search_replicas: int = Field(default=0, ge=0, description="0 on one node; 1 or more on a cluster.")
    search_refresh_interval: str = Field(default="1s", pattern=r"^(-1|\d+(ms|s|m))$")
    consumer_linger_s: float = Field(
        default=0.05,
        ge=0,
        le=1,
        description="A batch waits up to this long for more events: one bulk request and one transaction "
        "then carry several (freshness benchmark: 81-87 -> 103-106 creates/s with p95 freshness 1.24-1.31 s).",
    )
    search_warmup_queries: int = Field(
        default=36, ge=0, description="Queries run at start-up before /readyz says ready."
    )
