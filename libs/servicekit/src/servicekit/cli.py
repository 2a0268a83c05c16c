"""Every service's command line: `<service>-service serve` and `<service>-service migrate`.

`serve` with `WORKERS=1` runs one process that answers the API and does the background work (relay,
consumer, housekeeping and the service's own workers, such as the import worker). With more workers it
runs `WORKERS` uvicorn processes that only answer the API, and one process of its own for the
background work, which it starts again if it dies. `migrate` applies the service's Alembic migrations
and exits: the production start order.

Reason for the separate process: uvicorn hands its connections to whichever worker accepts first, so
under load one worker takes most of them. The relay and the consumer in that worker's event loop then
wait behind every request in flight: at 200 creates/s a batch of events waited seconds between the
claim and the publish, and search freshness went from under a second to five. In a process of their
own they keep pace, and the API workers spend their cores on requests.

Uvicorn's supervisor kills a worker that leaves its health check unanswered for 5 s, and a new worker
answers only once it has imported the service. On a busy machine that took longer: the freshness
benchmark saw one API worker killed and started again every 5-7 s for the whole run, the creates
reaching 60/s instead of 200. `WORKER_HEALTHCHECK_TIMEOUT_S` (60 s) gives them the time.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import multiprocessing
import os
import signal
import threading
from multiprocessing.process import BaseProcess
from pathlib import Path

import setproctitle
import uvicorn
from uvicorn.importer import import_from_string

from servicekit.db import create_engine
from servicekit.migrations import upgrade_database
from servicekit.settings import ServiceSettings

log = logging.getLogger(__name__)

RESTART_DELAY_S = 1.0
STOP_TIMEOUT_S = 30.0
"""How long the background process may take to stop (the kit's own shutdown is bounded well below)."""


async def migrate(settings: ServiceSettings, migrations: Path) -> None:
    engine = create_engine(settings.database_url)
    try:
        await upgrade_database(engine, migrations)
    finally:
        await engine.dispose()


def run_service(settings: ServiceSettings, *, app_factory: str, migrations: Path) -> None:
    """Parse `serve|migrate` and do it. `app_factory` is the import path of the app factory
    (`customer.main:create_app`): uvicorn imports it in each worker process."""
    parser = argparse.ArgumentParser(prog=f"{settings.service_name}-service")
    parser.add_argument("command", choices=["serve", "migrate"])
    if parser.parse_args().command == "migrate":
        asyncio.run(migrate(settings, migrations))
        return
    background: BackgroundProcess | None = None
    if settings.workers > 1:
        if settings.migrate_on_start:
            # Migrate once here, then tell the workers (which read the same environment) not to: several
            # processes running Alembic at the same moment would race each other.
            asyncio.run(migrate(settings, migrations))
            os.environ["MIGRATE_ON_START"] = "false"
        os.environ["BACKGROUND_WORK"] = "false"  # read by the API workers' settings
        background = BackgroundProcess(app_factory, settings.service_name)
        background.start()
    try:
        uvicorn.run(
            app_factory,
            factory=True,
            host=settings.host,
            port=settings.port,
            workers=settings.workers,
            timeout_worker_healthcheck=settings.worker_healthcheck_timeout_s,
            forwarded_allow_ips=settings.forwarded_allow_ips,
            log_config=None,
            access_log=False,
        )
    finally:
        if background is not None:
            background.stop()


class BackgroundProcess:
    """The process that runs the app's background work without serving HTTP, started again when it dies."""

    def __init__(self, app_factory: str, service_name: str) -> None:
        self.app_factory = app_factory
        self.name = f"{service_name}-background"
        self.title = f"{service_name}-service background"
        self._context = multiprocessing.get_context("spawn")
        self._process: BaseProcess | None = None
        self._stopping = threading.Event()
        self._watcher = threading.Thread(target=self._keep_alive, name=self.name, daemon=True)

    def start(self) -> None:
        self._process = self._spawn()
        self._watcher.start()

    def stop(self) -> None:
        self._stopping.set()
        process = self._process
        if process is not None and process.is_alive():
            process.terminate()  # SIGTERM: it leaves its lifespan, which stops the work in bounded time
            process.join(STOP_TIMEOUT_S)
            if process.is_alive():
                process.kill()

    def _spawn(self) -> BaseProcess:
        process = self._context.Process(
            target=run_background, args=(self.app_factory, self.title), name=self.name
        )
        process.start()
        return process

    def _keep_alive(self) -> None:
        while not self._stopping.is_set():
            assert self._process is not None
            self._process.join()
            if self._stopping.wait(RESTART_DELAY_S):
                return
            log.error("%s exited with %s; starting it again", self.name, self._process.exitcode)
            self._process = self._spawn()


def run_background(app_factory: str, title: str) -> None:
    """The background process's body: the app's lifespan (which starts the relay, the consumer and the
    service's workers) held open until SIGTERM or SIGINT. Its process title (`ps`, /proc/<pid>/cmdline)
    names it, so operators and tests tell it from the API workers, also after a restart."""
    setproctitle.setproctitle(title)
    os.environ["BACKGROUND_WORK"] = "true"
    asyncio.run(_hold_lifespan(app_factory))


async def _hold_lifespan(app_factory: str) -> None:
    app = import_from_string(app_factory)()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signal_number in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signal_number, stop.set)
    async with app.router.lifespan_context(app):
        await stop.wait()
