"""What a running service holds for its lifetime: engine, sessions, bus, token verifier, background tasks."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncEngine

from servicekit.auth import TokenVerifier
from servicekit.bus import Bus
from servicekit.consumer import EventConsumer
from servicekit.db import SessionFactory
from servicekit.housekeeping import Housekeeping
from servicekit.local_copies import LocalCopies
from servicekit.relay import OutboxRelay
from servicekit.settings import ServiceSettings

log = logging.getLogger(__name__)


class BackgroundWorker(Protocol):
    """A service's own long-running work, started and stopped with the relay and the consumer."""

    async def run(self) -> None: ...


STOP_TIMEOUT_S = 10


@dataclass
class ServiceRuntime:
    settings: ServiceSettings
    engine: AsyncEngine
    session_factory: SessionFactory
    bus: Bus
    verifier: TokenVerifier
    copies: LocalCopies
    relay: OutboxRelay | None = None
    consumer: EventConsumer | None = None
    housekeeping: Housekeeping | None = None
    workers: list[BackgroundWorker] = field(default_factory=list)
    tasks: list[asyncio.Task[None]] = field(default_factory=list)

    def start_background_work(self) -> None:
        kit_workers: list[Any] = [self.relay, self.consumer, self.housekeeping]
        for worker in kit_workers + list(self.workers):
            if worker is not None:
                self.tasks.append(asyncio.create_task(worker.run(), name=type(worker).__name__))

    async def stop(self) -> None:
        """Stop the relay, consumers and housekeeping, then close the broker and database connections. Every step
        is bounded: a shutdown that waits forever would keep the relay's leader lock from a successor."""
        for task in self.tasks:
            task.cancel()
        if self.tasks:
            _, still_running = await asyncio.wait(self.tasks, timeout=STOP_TIMEOUT_S)
            for task in still_running:
                log.error("%s did not stop within %ss", task.get_name(), STOP_TIMEOUT_S)
        self.tasks.clear()
        await self.bus.close()
        await self.copies.close()
        try:
            async with asyncio.timeout(STOP_TIMEOUT_S):
                await self.engine.dispose()
        except TimeoutError:
            log.error("database connections did not close within %ss", STOP_TIMEOUT_S)
