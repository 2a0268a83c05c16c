"""Benchmarks run services on an exchange of their own; this removes what those services declared."""

from __future__ import annotations

from servicekit.bus import Bus, Topology, delete_topology


async def remove_topology(amqp_url: str, topology: Topology) -> None:
    """The services declared every subscriber's queues on the benchmark's exchange: remove them all, or
    they pile up in the broker run after run (with every event the benchmark published in them)."""
    bus = Bus(amqp_url, topology)
    try:
        async with (await bus.connection()).channel() as channel:
            await delete_topology(channel, topology)
    finally:
        await bus.close()
