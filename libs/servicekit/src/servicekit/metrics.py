"""Prometheus metrics (SPEC §9): requests, latency, outbox backlog, consumer lag, dead-letter size.

Counters live in the process-wide registry; the gauges that describe the database and the broker
(backlog, queue depths) are read when /metrics is scraped, so they are never stale.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

from prometheus_client import CONTENT_TYPE_LATEST, Counter, Gauge, Histogram, generate_latest
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

REQUESTS = Counter("http_requests_total", "HTTP requests", ["service", "method", "route", "status"])
REQUEST_LATENCY = Histogram(
    "http_request_duration_seconds", "HTTP request latency", ["service", "method", "route"]
)
OUTBOX_BACKLOG = Gauge("outbox_backlog", "Events in the outbox waiting to be published", ["service"])
OUTBOX_PUBLISHED = Counter("outbox_published_total", "Events published by the relay", ["service"])
OUTBOX_FAILURES = Counter("outbox_publish_failures_total", "Events the broker refused", ["service"])
CONSUMER_LAG = Gauge("consumer_lag_messages", "Messages waiting in a consumer's queue", ["service", "queue"])
DEAD_LETTERS = Gauge("dead_letter_queue_messages", "Messages in a dead-letter queue", ["service", "queue"])
EVENTS_CONSUMED = Counter(
    "events_consumed_total", "Events handled by a consumer", ["service", "event_type", "outcome"]
)


class RequestMetricsMiddleware:
    """Counts requests and their latency per route template (never per raw path, to bound the labels)."""

    def __init__(self, app: ASGIApp, service_name: str) -> None:
        self.app = app
        self.service_name = service_name

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            route = _route_template(scope)
            method = scope["method"]
            REQUESTS.labels(self.service_name, method, route, str(status)).inc()
            REQUEST_LATENCY.labels(self.service_name, method, route).observe(time.perf_counter() - started)


def _route_template(scope: Scope) -> str:
    # The router leaves the route it matched in the scope; its template bounds the label values.
    route = scope.get("route")
    return str(getattr(route, "path", "unmatched"))


def metrics_endpoint(refresh: Callable[[], Awaitable[None]]) -> Callable[[Request], Awaitable[Response]]:
    async def metrics(_: Request) -> Response:
        await refresh()
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    return metrics
