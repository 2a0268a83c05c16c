"""The throughput benchmark: every measured path next to its raw baseline, in one run (issue 8).

Run with the infrastructure up (`scripts/test.sh` or `scripts/up.sh` started it):

    uv run python bench/throughput.py [--creates 3000] [--workers 2] [--events 5000]

It prints one line per path with its rate, its baseline's rate and their ratio, and writes the same
figures as JSON under `bench/results/` with the machine's cores and memory. It asserts nothing: these
machines are noisy, so ratios against a baseline measured minutes apart in the same run are what count.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import sys
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from writes import measure_writes

from servicekit.testing.infrastructure import local_infrastructure

RESULTS = Path(__file__).resolve().parent / "results"


def machine() -> dict[str, Any]:
    memory_kib = next(
        int(line.split()[1])
        for line in Path("/proc/meminfo").read_text().splitlines()
        if line.startswith("MemTotal")
    )
    return {
        "cores": os.cpu_count(),
        "memory_gib": round(memory_kib / 1024 / 1024, 1),
        "python": platform.python_version(),
        "load_average_at_start": os.getloadavg(),
    }


async def main(arguments: argparse.Namespace) -> None:
    report: dict[str, Any] = {"started_at": datetime.now(UTC).isoformat(), "machine": machine()}
    with local_infrastructure() as infra:
        writes = await measure_writes(
            infra.pg_admin_url, infra.amqp_url, arguments.creates, arguments.concurrency, arguments.workers
        )
    report["writes"] = asdict(writes) | {"ratio": writes.ratio}
    print(
        f"API creates ({writes.concurrency} concurrent, {writes.workers} workers): "
        f"{writes.api_creates_per_s:,.0f}/s vs asyncpg insert transactions {writes.raw_inserts_per_s:,.0f}/s "
        f"= {writes.ratio:.2f} (target 0.40); p50 {writes.p50_ms:.0f} ms, p95 {writes.p95_ms:.0f} ms, "
        f"p99 {writes.p99_ms:.0f} ms; service CPU {writes.service_cpu_ms_per_create:.2f} ms per create"
    )
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"throughput-{datetime.now(UTC):%Y%m%dT%H%M%S}.json"
    path.write_text(json.dumps(report, indent=2) + "\n")
    print(f"written to {path.relative_to(Path.cwd()) if path.is_relative_to(Path.cwd()) else path}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--creates", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--workers", type=int, default=2)
    asyncio.run(main(parser.parse_args()))
