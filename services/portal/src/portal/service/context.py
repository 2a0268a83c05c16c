"""What the portal's use cases share besides the unit of work: its settings, password hashing, its access
tokens and its mail sender. One per running service (`app.state.portal`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from portal.adapters.mail import Mailer
from portal.adapters.security import Passwords, PortalTokens
from portal.config import Settings
from portal.domain.throttle import ThrottlePolicy


@dataclass
class Portal:
    settings: Settings
    passwords: Passwords
    tokens: PortalTokens
    mailer: Mailer

    @classmethod
    def of(cls, settings: Settings) -> Portal:
        return cls(settings, Passwords(settings), PortalTokens(settings), Mailer(settings))

    def throttle(self, key: str) -> ThrottlePolicy:
        """The throttle of a key: `email:...` or `client:...`."""
        per_client = key.startswith("client:")
        return ThrottlePolicy(
            max_failures=(
                self.settings.login_max_failures_per_client
                if per_client
                else self.settings.login_max_failures
            ),
            window=timedelta(seconds=self.settings.login_failure_window_s),
            lockout=timedelta(seconds=self.settings.login_lockout_s),
        )


def now() -> datetime:
    return datetime.now(UTC)
