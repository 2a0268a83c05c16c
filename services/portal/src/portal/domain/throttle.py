"""The login throttle: after `max_failures` failed logins within a window, a key (an email address, or a
client address) is locked for a while. Counted per email whether or not a user has it, so a lockout says
nothing about which emails exist."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta


@dataclass(frozen=True)
class ThrottlePolicy:
    max_failures: int
    window: timedelta
    lockout: timedelta


@dataclass(frozen=True)
class ThrottleState:
    failures: int
    window_started_at: datetime
    locked_until: datetime | None = None


def locked_for(state: ThrottleState | None, now: datetime) -> timedelta | None:
    """How long the key is still locked; None when it is not."""
    if state is None or state.locked_until is None or state.locked_until <= now:
        return None
    return state.locked_until - now


def after_failure(state: ThrottleState | None, policy: ThrottlePolicy, now: datetime) -> ThrottleState:
    """The state after one more failed login: a new window when the last one ended (or a lockout ran
    out), and a lockout when the window reaches the limit."""
    expired_lock = state is not None and state.locked_until is not None and state.locked_until <= now
    if state is None or expired_lock or now - state.window_started_at > policy.window:
        state = ThrottleState(failures=0, window_started_at=now)
    failures = state.failures + 1
    locked_until = now + policy.lockout if failures >= policy.max_failures else None
    return replace(state, failures=failures, locked_until=locked_until)
