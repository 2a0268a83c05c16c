"""Building a service's FastAPI app: the same middleware, errors, health, metrics and lifespan for all.

A service's `main.py` says only what is its own: title, routers, where its migrations are, its event
handlers, and whether it publishes. Which events reach its queue is not its to say: the bindings come
from `contracts.routing.SUBSCRIPTIONS`, and building the app fails when they and the handlers disagree.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager, nullcontext
from datetime import timedelta
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, FastAPI
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from servicekit import subscriptions
from servicekit.auth import TokenVerifier
from servicekit.bus import Bus, Topology
from servicekit.consumer import EventConsumer
from servicekit.context import CORRELATION_HEADER, correlation_id_var
from servicekit.db import create_engine, create_session_factory
from servicekit.errors import install_problem_handlers
from servicekit.handlers import Handler
from servicekit.health import ReadinessCheck, health_router
from servicekit.housekeeping import Housekeeping, Retention
from servicekit.local_copies import LocalCopies
from servicekit.logs import configure_logging
from servicekit.metrics import (
    CONSUMER_LAG,
    DEAD_LETTERS,
    OUTBOX_BACKLOG,
    RequestMetricsMiddleware,
    metrics_endpoint,
)
from servicekit.migrations import upgrade_database
from servicekit.openapi import complete_document
from servicekit.outbox import outbox_backlog
from servicekit.relay import OutboxRelay
from servicekit.runtime import BackgroundWorker, ServiceRuntime
from servicekit.settings import ServiceSettings
from servicekit.storable import refuse_unstorable_text


class CorrelationIdMiddleware:
    """Takes the caller's X-Correlation-ID (or makes one), so logs and events of this request share it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        header = CORRELATION_HEADER.lower().encode()
        given = dict(scope["headers"]).get(header, b"").decode("latin-1").strip()
        correlation_id = given[:200] if given else str(uuid.uuid4())
        token = correlation_id_var.set(correlation_id)

        async def send_with_header(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                message["headers"].append((header, correlation_id.encode("latin-1")))
            await send(message)

        try:
            await self.app(scope, receive, send_with_header)
        finally:
            correlation_id_var.reset(token)


def topology_from(settings: ServiceSettings) -> Topology:
    return Topology(
        exchange=settings.bus_exchange,
        queue_type=settings.bus_queue_type,
        retry_delays_ms=tuple(settings.consumer_retry_delays_ms),
        max_attempts=settings.consumer_max_attempts,
    )


def build_runtime(
    settings: ServiceSettings,
    *,
    publishes: bool,
    handlers: Mapping[str, Handler] | None = None,
) -> ServiceRuntime:
    """Everything the service runs on; raises `SubscriptionMismatch` when its handlers and its
    subscription disagree."""
    patterns = subscriptions.subscribed_patterns(settings.service_name, handlers or {})
    engine = create_engine(settings.database_url, settings.database_pool_size)
    session_factory = create_session_factory(engine)
    bus = Bus(settings.amqp_url, topology_from(settings))
    runtime = ServiceRuntime(
        settings, engine, session_factory, bus, TokenVerifier(settings), LocalCopies(settings)
    )
    runtime.housekeeping = Housekeeping(
        service_name=settings.service_name,
        session_factory=session_factory,
        retention=Retention(
            outbox=timedelta(hours=settings.outbox_retention_hours),
            inbox=timedelta(hours=settings.inbox_retention_hours),
            idempotency_keys=timedelta(hours=settings.idempotency_retention_hours),
        ),
    )
    if publishes:
        runtime.relay = OutboxRelay(
            service_name=settings.service_name,
            session_factory=session_factory,
            listen_dsn=settings.sync_free_database_url,
            bus=bus,
            batch_size=settings.outbox_batch_size,
            poll_interval_s=settings.outbox_poll_interval_s,
        )
    if handlers:
        runtime.consumer = EventConsumer(
            service_name=settings.service_name,
            handlers=handlers,
            patterns=patterns,
            session_factory=session_factory,
            bus=bus,
            prefetch=settings.consumer_prefetch,
            batch_size=settings.consumer_batch_size,
            linger_s=settings.consumer_linger_s,
        )
    return runtime


def create_service_app(
    settings: ServiceSettings,
    *,
    title: str,
    description: str,
    routers: Sequence[APIRouter],
    migrations: Path,
    publishes: bool,
    handlers: Mapping[str, Handler] | None = None,
    readiness_checks: Mapping[str, ReadinessCheck] | None = None,
    service_lifespan: Callable[[FastAPI], AbstractAsyncContextManager[None]] | None = None,
    background: Sequence[Callable[[ServiceRuntime], BackgroundWorker]] = (),
) -> FastAPI:
    """The service's app; raises `SubscriptionMismatch` at once (not at the first event) when its
    handlers and its subscription disagree. `service_lifespan` holds the service's own resources and
    tasks (the search service's OpenSearch client and warm-up): entered before the kit starts its
    relay, consumer and housekeeping, left after they have stopped. `background` builds the service's own
    long-running workers from the runtime (the import worker); they run and stop with the kit's."""
    subscriptions.subscribed_patterns(settings.service_name, handlers or {})
    configure_logging(settings.service_name, settings.log_level, settings.log_json)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with service_lifespan(app) if service_lifespan else nullcontext():
            runtime = build_runtime(settings, publishes=publishes, handlers=handlers)
            if settings.migrate_on_start:
                await upgrade_database(runtime.engine, migrations)
            app.state.runtime = runtime
            runtime.workers.extend(build(runtime) for build in background)
            if settings.background_work:
                runtime.start_background_work()
            try:
                yield
            finally:
                await runtime.stop()

    app = FastAPI(
        title=title,
        description=description,
        version="1.0.0",
        lifespan=lifespan,
        dependencies=[Depends(refuse_unstorable_text)],
    )
    install_problem_handlers(app)
    app.add_middleware(RequestMetricsMiddleware, service_name=settings.service_name)
    app.add_middleware(CorrelationIdMiddleware)
    app.include_router(health_router(readiness_checks))
    for router in routers:
        app.include_router(router)

    async def refresh_gauges() -> None:
        runtime: ServiceRuntime = app.state.runtime
        if runtime.relay is not None:
            async with runtime.session_factory() as session:
                OUTBOX_BACKLOG.labels(settings.service_name).set(await outbox_backlog(session))
        if runtime.consumer is not None:
            for gauge, queue in (
                (CONSUMER_LAG, runtime.consumer.queue_name),
                (DEAD_LETTERS, runtime.consumer.dead_letter_queue_name),
            ):
                depth = await runtime.bus.queue_depth(queue)
                if depth is not None:
                    gauge.labels(settings.service_name, queue).set(depth)

    app.add_route("/metrics", metrics_endpoint(refresh_gauges), include_in_schema=False)
    document_truthfully(app)
    return app


def document_truthfully(app: FastAPI) -> None:
    """Serve FastAPI's generated OpenAPI document completed by `servicekit.openapi.complete_document`."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = complete_document(generate())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
