"""The throughput benchmark: every measured path next to its raw baseline, in one run (issue 8).

Run with the infrastructure up (`scripts/test.sh` or `scripts/up.sh` started it):

    uv run python bench/throughput.py [--creates-seconds 20] [--workers 2] [--events 4000]
                                      [--sustain-rate 600] [--sustain-seconds 60]

It prints one line per path with its rate, its baseline's rate and their ratio, and writes the same
figures as JSON under `bench/results/` with the machine's cores and memory. It asserts nothing: these
machines are noisy, so ratios against a baseline measured in the same run are what count.

1. API creates (customer service as a real process, `--workers` of them, one office, 32 connections)
   against asyncpg single-row insert transactions at the same concurrency.
2. The relay (batches of 200 in pipelined waves) against aio-pika confirmed publishing of the same 1 KB
   messages, all in flight at once.
3. The consumer (batches of 50, a row written per event; and a batch handler) against aio-pika consuming
   the same messages with one ack each.
4. The pipeline, outbox → relay → broker → consumer commit, against the same confirmed publishing; and
   its ceiling: raw publishing while a raw consumer in another process takes the same messages, with no
   database at all (a pipeline does both and its database work on the same cores).
5. A sustained rate for `--sustain-seconds`, with the outbox backlog and the queue depth sampled.
PostgreSQL connections use no TLS (loopback): the baseline and the services alike.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bus_throughput import RAW, bench_bus, measure_consumer, time_relay
from pipeline import sustain, time_pipeline, time_raw_publish, time_raw_publish_and_consume
from results_file import machine, write_results
from writes import measure_writes

from servicekit.testing.infrastructure import local_infrastructure

NO_TLS = "?ssl=disable"


def line(name: str, rate: float, baseline_name: str, baseline: float, target: float | None) -> str:
    goal = f" (target {target:.2f})" if target is not None else ""
    return (
        f"{name:<44} {rate:>8,.0f}/s   {baseline_name:<38} {baseline:>8,.0f}/s   "
        f"ratio {rate / baseline:.2f}{goal}"
    )


async def measure_bus(arguments: argparse.Namespace, infra: Any, report: dict[str, Any]) -> None:
    count = arguments.events
    async with bench_bus(infra) as bench:
        sessions, bus, topology = bench.sessions, bench.bus, bench.bus.topology
        raw_publish = count / await time_raw_publish(infra, topology, count)
        ceiling = count / await time_raw_publish_and_consume(infra, topology, count)
        print(
            line(
                "raw publish and consume at once, no database",
                ceiling,
                "aio-pika confirmed publish",
                raw_publish,
                None,
            )
            + "  (the ceiling of any pipeline here)"
        )
        relay = count / await time_relay(sessions, bench.listen_dsn, bus, count, batch_size=200)
        print(line("relay, batches of 200", relay, "aio-pika confirmed publish", raw_publish, None))
        async with (await bus.connection()).channel() as channel:
            await (await channel.get_queue(topology.queue_name("contact"))).purge()

        consumer = await measure_consumer(infra, sessions, topology, count, rounds=1)
        for variant, rate in consumer.items():
            if variant != RAW:
                target = 3000 / consumer[RAW] if "row per event, batch 50" in variant else None
                print(line(variant, rate, RAW, consumer[RAW], target))

        pipeline = count / await time_pipeline(infra, sessions, bench.url, bench.listen_dsn, bus, count)
        print(
            line(
                "pipeline outbox → consumer commit", pipeline, "aio-pika confirmed publish", raw_publish, 0.6
            )
        )

        held = await sustain(
            infra,
            sessions,
            bench.url,
            bench.listen_dsn,
            bus,
            arguments.sustain_rate,
            arguments.sustain_seconds,
        )
        print(
            f"sustained {held.rate}/s for {held.seconds} s: committed {held.committed}, applied {held.applied}; "
            f"outbox backlog max {max(held.backlog, default=0)}, queue depth max {max(held.queue_depth, default=0)}"
            f" ({'bounded' if held.bounded else 'GROWING'}); drained {held.drained_after_s:.1f} s after the end"
        )
        report["bus"] = {
            "events": count,
            "raw_confirmed_publish_per_s": raw_publish,
            "relay_per_s": relay,
            "relay_ratio": relay / raw_publish,
            "consumer_per_s": consumer,
            "raw_publish_and_consume_per_s": ceiling,
            "pipeline_ratio_ceiling": ceiling / raw_publish,
            "pipeline_per_s": pipeline,
            "pipeline_ratio": pipeline / raw_publish,
            "sustained": asdict(held) | {"bounded": held.bounded},
        }


async def main(arguments: argparse.Namespace) -> None:
    report: dict[str, Any] = {"started_at": datetime.now(UTC).isoformat(), "machine": machine()}
    with local_infrastructure() as infra:
        if "writes" in arguments.parts:
            writes = await measure_writes(
                infra.pg_admin_url, infra.amqp_url, arguments.creates_seconds, arguments.workers, NO_TLS
            )
            report["writes"] = asdict(writes) | {"ratio": writes.ratio, "ratio_bound": writes.ratio_bound}
            print(
                line(
                    f"API creates, 32 concurrent, {writes.workers} workers",
                    writes.api_creates_per_s,
                    "asyncpg insert transactions",
                    writes.raw_inserts_per_s,
                    0.4,
                )
            )
            print(
                f"{'':<44} p50 {writes.p50_ms:.0f} ms, p95 {writes.p95_ms:.0f} ms, p99 {writes.p99_ms:.0f} ms; "
                f"service CPU {writes.service_cpu_ms_per_create:.2f} ms per create ({writes.load_generator})"
            )
            print(
                line(
                    "  the stack's floor: a body refused (422)",
                    writes.refused_per_s,
                    "asyncpg insert transactions",
                    writes.raw_inserts_per_s,
                    0.4,
                )
            )
            if writes.bare_fastapi_per_s is not None and writes.ratio_bound is not None:
                print(
                    line(
                        "  the framework's floor: bare FastAPI",
                        writes.bare_fastapi_per_s,
                        "asyncpg insert transactions",
                        writes.raw_inserts_per_s,
                        0.4,
                    )
                )
                print(
                    f"{'':<44} a create of one insert behind bare FastAPI reaches at most ratio "
                    f"{writes.ratio_bound:.2f}"
                )
        if "bus" in arguments.parts:
            await measure_bus(arguments, infra, report)
    print(f"written to {write_results('throughput', report)}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--creates-seconds", type=int, default=20)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--events", type=int, default=4000)
    parser.add_argument("--sustain-rate", type=int, default=600)
    parser.add_argument("--sustain-seconds", type=int, default=60)
    parser.add_argument("--parts", nargs="+", choices=("writes", "bus"), default=["writes", "bus"])
    asyncio.run(main(parser.parse_args()))
