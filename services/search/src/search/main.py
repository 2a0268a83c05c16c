"""The search service: its app and its command line (`search-service serve|migrate`)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
from fastapi import FastAPI

from search.adapters.opensearch import SearchIndex
from search.api import rebuild, search
from search.config import Settings
from search.consumers import handlers
from search.service.index_metrics import count_documents
from search.service.indexing import CustomerIndexer
from search.service.warmup import Warmup
from servicekit.app import create_service_app
from servicekit.cli import run_service
from servicekit.runtime import ServiceRuntime

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


class NotWarm(Exception):
    pass


def create_app(config: Settings | None = None) -> FastAPI:
    settings = config or Settings()
    index = SearchIndex(settings)
    warmup = Warmup(index, settings.search_warmup_queries)

    async def opensearch_ready(runtime: ServiceRuntime) -> None:
        await index.ping()
        if not warmup.done.is_set():
            raise NotWarm("warming up: the first queries have not run yet")

    @asynccontextmanager
    async def warm_and_counting(app: FastAPI) -> AsyncIterator[None]:
        # The warm-up, the document count and any rebuild run beside the kit's workers; the clients of
        # OpenSearch and of the bulk reads are closed after the consumer has stopped.
        tasks = [
            asyncio.create_task(warmup.run(), name="search warm-up"),
            asyncio.create_task(count_documents(index, settings.service_name), name="search count"),
        ]
        try:
            yield
        finally:
            tasks += list(app.state.rebuild_tasks)
            for task in tasks:
                task.cancel()
            for task in tasks:
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            await index.close()
            await app.state.owner_client.aclose()

    app = create_service_app(
        settings,
        title="Search service",
        description="Find any customer of your office from any scrap of information: name, number, "
        "organisation or VAT number, address, contact name, e-mail or phone.",
        routers=[search.router, rebuild.router],
        migrations=MIGRATIONS,
        publishes=False,
        handlers=handlers(CustomerIndexer(index, settings.service_name)),
        readiness_checks={"opensearch": opensearch_ready},
        service_lifespan=warm_and_counting,
    )
    app.state.search_index = index
    app.state.warmup = warmup
    app.state.settings = settings
    # The client of the customer and contact services' bulk reads (tests mount the apps on it).
    app.state.owner_client = httpx.AsyncClient(timeout=30.0)
    app.state.rebuild_tasks = set()
    return app


def run() -> None:
    run_service(Settings(), app_factory="search.main:create_app", migrations=MIGRATIONS)


if __name__ == "__main__":
    run()
