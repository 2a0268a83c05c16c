"""Settings every service shares, read from the environment (SPEC §9).

Each service subclasses ``ServiceSettings`` once, in its ``config.py``, and sets its own defaults
(name, port, database) so that a local run needs no environment at all.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEVELOPMENT_JWT_SECRET = "development-only-secret-change-me-0123456789"


class JwtSettings(BaseSettings):
    """How bearer tokens are signed and checked; also all the `crm token` command needs."""

    model_config = SettingsConfigDict(env_file=None, extra="ignore")

    jwt_secret: str = DEVELOPMENT_JWT_SECRET
    jwt_issuer: str = "crm-dev"
    jwt_audience: str = "crm"
    jwt_jwks_url: str | None = Field(default=None, description="Set for a real identity provider (RS256).")
    service_token_secret: str | None = Field(
        default=None,
        description="HS256 key of the tokens the platform's services send each other (JWT_SECRET when "
        "unset); required in production beside JWT_JWKS_URL, where user tokens come from the identity "
        "provider and no JWT_SECRET is configured.",
    )

    @property
    def service_signing_key(self) -> str:
        return self.service_token_secret or self.jwt_secret


class ServiceSettings(JwtSettings):
    service_name: str
    environment: Literal["development", "test", "production"] = "development"
    host: str = "127.0.0.1"
    port: int
    workers: int = Field(
        default=1,
        ge=1,
        description="Server processes; more than one uses more cores for the API. With more than one, the "
        "relay, the consumer and the other background work run in one process of their own.",
    )
    worker_healthcheck_timeout_s: int = Field(
        default=60,
        ge=1,
        description="With more than one worker: how long a worker may leave uvicorn's health check "
        "unanswered before it is killed and started again. A new worker answers only once it has "
        "imported the service; uvicorn's own 5 s killed workers still importing on a busy machine, "
        "then each replacement, so under load one worker was always starting.",
    )
    background_work: bool = Field(
        default=True,
        description="Run the relay, the consumer, housekeeping and the service's own workers in this "
        "process. `serve` sets it for its processes itself; set it only to run an API-only process.",
    )
    forwarded_allow_ips: str = Field(
        default="127.0.0.1",
        description="Proxies whose X-Forwarded-For names the client (comma-separated IPs or CIDRs, or *): "
        "the gateway or ingress in front, so that per-client limits (the portal's login throttle) see "
        "the real client rather than the proxy.",
    )

    database_url: str
    database_pool_size: int = 10
    migrate_on_start: bool = Field(
        default=True, description="Run Alembic migrations at start-up (development); off in production."
    )

    amqp_url: str = "amqp://guest:guest@127.0.0.1:5672/"
    bus_exchange: str = "crm.events"
    bus_queue_type: Literal["quorum", "classic"] = Field(
        default="quorum", description="quorum for clusters; classic (v2) on a single node."
    )
    consumer_batch_size: int = Field(
        default=50,
        ge=1,
        description="Most events applied in one transaction; a batch never waits to fill (servicekit.consumer).",
    )
    consumer_linger_s: float = Field(
        default=0.0,
        ge=0,
        le=1,
        description="How long a batch that is not full waits for more events; 0: never (no added "
        "latency). For a consumer whose batch costs much more than its events (one bulk request).",
    )
    consumer_prefetch: int = Field(
        default=200, description="Messages the broker sends ahead; must exceed CONSUMER_BATCH_SIZE."
    )
    consumer_max_attempts: int = Field(default=5, ge=1, description="Tries before the dead-letter queue.")
    consumer_retry_delays_ms: list[int] = Field(default=[1_000, 5_000, 30_000, 120_000])

    outbox_batch_size: int = 200
    outbox_poll_interval_s: float = Field(
        default=2.0, description="Fallback poll when no LISTEN/NOTIFY wake-up arrives."
    )
    outbox_retention_hours: int = Field(
        default=24 * 7, ge=1, description="How long published outbox rows are kept (unpublished: always)."
    )
    inbox_retention_hours: int = Field(
        default=24 * 7,
        ge=1,
        description="How long a consumer remembers an applied event; must far exceed any redelivery.",
    )
    idempotency_retention_hours: int = Field(
        default=24, ge=1, description="How long a create's Idempotency-Key replays its first answer."
    )

    customer_service_url: str = Field(
        default="http://127.0.0.1:8001", description="Where a customer missing from a local copy is read."
    )
    contact_service_url: str = Field(
        default="http://127.0.0.1:8002", description="Where a contact missing from a local copy is read."
    )
    owner_read_timeout_s: float = Field(default=5.0, gt=0, description="Timeout of such a read.")

    log_level: str = "INFO"
    log_json: bool = True

    @model_validator(mode="after")
    def _prefetch_exceeds_the_batch(self) -> ServiceSettings:
        if self.consumer_prefetch <= self.consumer_batch_size:
            raise ValueError("CONSUMER_PREFETCH must exceed CONSUMER_BATCH_SIZE")
        return self

    @model_validator(mode="after")
    def _no_development_secret_in_production(self) -> ServiceSettings:
        if self.environment == "production" and self.service_signing_key == DEVELOPMENT_JWT_SECRET:
            raise ValueError(
                "JWT_SECRET must be set in production, or JWT_JWKS_URL with SERVICE_TOKEN_SECRET "
                "(services sign the tokens they send each other with it)"
            )
        if (
            self.environment == "production"
            and self.jwt_jwks_url is None
            and self.jwt_secret == DEVELOPMENT_JWT_SECRET
        ):
            raise ValueError("JWT_SECRET must be set in production (or JWT_JWKS_URL)")
        return self

    @property
    def sync_free_database_url(self) -> str:
        """The database URL in the plain ``postgresql://`` form asyncpg's own connect() takes (the relay
        listens with it). SQLAlchemy's `ssl=` option is libpq's `sslmode=` there."""
        plain = self.database_url.replace("postgresql+asyncpg://", "postgresql://", 1)
        return re.sub(r"([?&])ssl=", r"\1sslmode=", plain)
