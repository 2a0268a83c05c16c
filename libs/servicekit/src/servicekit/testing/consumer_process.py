"""A consumer in an OS process of its own, for tests that kill one mid-batch or run two on one queue.

The child runs `EventConsumer` like a service does (its own broker connection and database pool) with a
recording or copying handler from `servicekit.testing.consumers`. It prints ``stalled <event id>`` and
stops short (forever) when it reaches an event whose note is the configured `stall_on`, so a test can
kill it with a batch open.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import signal
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import asdict, dataclass
from typing import Any

from contracts import EventEnvelope
from servicekit.bus import Bus, Topology
from servicekit.consumer import EventConsumer
from servicekit.db import create_engine, create_session_factory
from servicekit.handlers import EventHandler
from servicekit.testing.consumers import copying_handler, recording_handler
from servicekit.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class ConsumerProcessConfig:
    amqp_url: str
    database_url: str
    topology: Topology
    name: str = "contact"
    """What its handler writes into the `consumer` column: tells replicas apart."""
    handler: str = "record"
    """`record` (recording_handler) or `copy` (copying_handler)."""
    service_name: str = "contact"
    patterns: tuple[str, ...] = ("customer.*",)
    batch_size: int = 50
    prefetch: int = 200
    stall_on: str | None = None
    delay_s: float = 0.0
    """How long each event takes on top of its writes (a slow handler)."""

    def to_json(self) -> str:
        data = asdict(self)
        data["topology"] = asdict(self.topology)
        return json.dumps(data)

    @classmethod
    def from_json(cls, text: str) -> ConsumerProcessConfig:
        data = json.loads(text)
        topology = data.pop("topology")
        topology["retry_delays_ms"] = tuple(topology["retry_delays_ms"])
        data["patterns"] = tuple(data["patterns"])
        return cls(topology=Topology(**topology), **data)


def _handler(config: ConsumerProcessConfig) -> EventHandler:
    inner = copying_handler(config.name) if config.handler == "copy" else recording_handler(config.name)

    async def handle(envelope: EventEnvelope[Any], uow: UnitOfWork) -> None:
        payload = envelope.payload if isinstance(envelope.payload, dict) else {}
        if config.stall_on is not None and payload.get("note") == config.stall_on:
            print(f"stalled {envelope.id}", flush=True)
            await asyncio.Event().wait()
        await inner(envelope, uow)
        if config.delay_s:
            await asyncio.sleep(config.delay_s)

    return handle


async def _run(config: ConsumerProcessConfig) -> None:
    engine = create_engine(config.database_url, pool_size=2)
    bus = Bus(config.amqp_url, config.topology)
    consumer = EventConsumer(
        service_name=config.service_name,
        handlers={event_type: _handler(config) for event_type in ("customer.pinged",)},
        patterns=config.patterns,
        session_factory=create_session_factory(engine),
        bus=bus,
        prefetch=config.prefetch,
        batch_size=config.batch_size,
    )
    task = asyncio.create_task(consumer.run())
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, task.cancel)
    with contextlib.suppress(asyncio.CancelledError):
        await task
    await bus.close()
    await engine.dispose()


@asynccontextmanager
async def consumer_process(config: ConsumerProcessConfig) -> AsyncIterator[asyncio.subprocess.Process]:
    """Start the consumer in a child process; stop it afterwards (unless the test already killed it)."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "servicekit.testing.consumer_process",
        config.to_json(),
        stdout=asyncio.subprocess.PIPE,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        yield process
    finally:
        if process.returncode is None:
            process.terminate()
            try:
                async with asyncio.timeout(15):
                    await process.wait()
            except TimeoutError:
                process.kill()
                await process.wait()


if __name__ == "__main__":
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    asyncio.run(_run(ConsumerProcessConfig.from_json(sys.argv[1])))
