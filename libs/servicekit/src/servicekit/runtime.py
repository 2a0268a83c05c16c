"""What a running service holds for its lifetime: engine, sessions, bus, token verifier, background tasks."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from servicekit.auth import TokenVerifier
from servicekit.bus import Bus
from servicekit.consumer import EventConsumer
from servicekit.relay import OutboxRelay
from servicekit.settings import ServiceSettings


@dataclass
class ServiceRuntime:
    settings: ServiceSettings
    engine: AsyncEngine
    session_factory: async_sessionmaker[AsyncSession]
    bus: Bus
    verifier: TokenVerifier
    relay: OutboxRelay | None = None
    consumer: EventConsumer | None = None
    tasks: list[asyncio.Task[None]] = field(default_factory=list)

    def start_background_work(self) -> None:
        for worker in (self.relay, self.consumer):
            if worker is not None:
                self.tasks.append(asyncio.create_task(worker.run(), name=type(worker).__name__))

    async def stop(self) -> None:
        for task in self.tasks:
            task.cancel()
        for task in self.tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self.tasks.clear()
        await self.bus.close()
        await self.engine.dispose()
