"""Request-scoped context that travels from an HTTP request into the events it causes and the logs."""

from __future__ import annotations

import uuid
from contextvars import ContextVar

correlation_id_var: ContextVar[str | None] = ContextVar("correlation_id", default=None)

CORRELATION_HEADER = "X-Correlation-ID"


def current_correlation_id() -> str:
    """The correlation id of the work in progress; a fresh one when nothing set it (a background job)."""
    value = correlation_id_var.get()
    if value is None:
        value = str(uuid.uuid4())
        correlation_id_var.set(value)
    return value
