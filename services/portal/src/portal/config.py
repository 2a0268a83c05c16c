"""The portal service's settings: the shared ones with this service's defaults for a local run, and its own
(the portal tokens' key and lifetimes, the login throttle, the mail server)."""

from __future__ import annotations

from pydantic import Field, model_validator

from servicekit.settings import ServiceSettings

DEVELOPMENT_PORTAL_SECRET = "development-only-portal-secret-change-me-0123456789"


class Settings(ServiceSettings):
    service_name: str = "portal"
    port: int = 8005
    database_url: str = "postgresql+asyncpg://portal:portal@127.0.0.1:5432/portal"

    portal_token_secret: str = Field(
        default=DEVELOPMENT_PORTAL_SECRET,
        description="HS256 key of portal users' access tokens; only the portal service knows it.",
    )
    portal_token_audience: str = "crm-portal"
    portal_access_token_ttl_s: int = Field(default=600, ge=30, le=3600)
    portal_refresh_token_ttl_s: int = Field(default=12 * 3600, ge=60)
    portal_invitation_ttl_s: int = Field(default=7 * 24 * 3600, ge=60)
    portal_reset_ttl_s: int = Field(default=30 * 60, ge=60)
    portal_public_url: str = Field(
        default="http://127.0.0.1:8005", description="Where portal users reach the portal (links in mails)."
    )
    login_max_failures: int = Field(default=5, ge=1, description="Failed logins before a temporary lockout.")
    login_max_failures_per_client: int = Field(
        default=20,
        ge=1,
        description="Failed logins from one client address before it is locked out (several people may "
        "share an address, so more than per email).",
    )
    login_failure_window_s: int = Field(default=900, ge=1)
    login_lockout_s: int = Field(default=300, ge=1, description="How long a lockout lasts.")
    password_hash_memory_kib: int = Field(default=19 * 1024, ge=19 * 1024)
    password_hash_time_cost: int = Field(default=2, ge=2)

    smtp_host: str = "127.0.0.1"
    smtp_port: int = 8025
    mail_sender: str = "Customer portal <portal@localhost>"

    @property
    def secure_cookies(self) -> bool:
        """Cookies need HTTPS everywhere but local runs and tests (plain HTTP on 127.0.0.1)."""
        return self.environment == "production"

    @model_validator(mode="after")
    def _no_development_portal_secret_in_production(self) -> Settings:
        if self.environment == "production" and self.portal_token_secret == DEVELOPMENT_PORTAL_SECRET:
            raise ValueError("PORTAL_TOKEN_SECRET must be set in production")
        return self
