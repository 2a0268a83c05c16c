"""API writes against raw PostgreSQL: customer creates over HTTP next to asyncpg insert transactions.

Both sides run in the same process run, against the same PostgreSQL, at the same concurrency:
- baseline: asyncpg single-row insert transactions (BEGIN; INSERT; COMMIT) from a pool of `concurrency`;
- measured: POST /v1/customers to the customer service running as a real process (`WORKERS` of them),
  all in one office, so every create draws from the same number sequence.
Besides rates it records latency percentiles and the service's CPU time per create (from /proc), which
is steadier than wall time on a busy machine and says where a miss comes from.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import httpx

from servicekit.auth import issue_token
from servicekit.settings import JwtSettings
from servicekit.testing.databases import create_database, drop_database, with_database
from servicekit.testing.processes import free_port, running_service

WARM_UP = 100


@dataclass(frozen=True)
class WriteResult:
    creates: int
    concurrency: int
    workers: int
    raw_inserts_per_s: float
    api_creates_per_s: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    service_cpu_ms_per_create: float

    @property
    def ratio(self) -> float:
        return self.api_creates_per_s / self.raw_inserts_per_s


async def raw_inserts(dsn: str, count: int, concurrency: int) -> float:
    """Single-row insert transactions per second, `concurrency` at a time."""
    pool = await asyncpg.create_pool(dsn, min_size=concurrency, max_size=concurrency)
    try:
        await pool.execute(
            "CREATE TABLE bench_rows (id uuid PRIMARY KEY, office_id text, name text, body jsonb)"
        )
        gate = asyncio.Semaphore(concurrency)

        async def insert(n: int) -> None:
            async with gate, pool.acquire() as connection, connection.transaction():
                await connection.execute(
                    "INSERT INTO bench_rows VALUES ($1, $2, $3, $4)",
                    uuid.uuid4(),
                    "bench",
                    f"Kunde {n}",
                    "{}",
                )

        started = time.perf_counter()
        await asyncio.gather(*(insert(n) for n in range(count)))
        return count / (time.perf_counter() - started)
    finally:
        await pool.close()


def _service_processes() -> list[str]:
    """The service's process and its workers (uvicorn spawns them as children of the supervisor)."""
    found = subprocess.run(
        ["pgrep", "-f", "customer-service serve"], capture_output=True, text=True
    ).stdout.split()
    children = [
        subprocess.run(["pgrep", "-P", pid], capture_output=True, text=True).stdout.split() for pid in found
    ]
    return found + [child for group in children for child in group]


def _cpu_seconds(pids: list[str]) -> float:
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime + stime, in clock ticks
    return total / os.sysconf("SC_CLK_TCK")


async def api_creates(base_url: str, count: int, concurrency: int) -> tuple[float, list[float], float]:
    """Creates per second, each create's latency, and the service's CPU seconds spent on them."""
    token = issue_token(
        JwtSettings(), subject="bench", office_id=f"bench-{uuid.uuid4().hex[:8]}", roles=["manager"]
    )
    pids = _service_processes()
    latencies: list[float] = []
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(
        base_url=base_url, headers={"Authorization": f"Bearer {token}"}, limits=limits, timeout=120
    ) as client:
        gate = asyncio.Semaphore(concurrency)

        async def create(n: int) -> None:
            async with gate:
                started = time.perf_counter()
                response = await client.post("/v1/customers", json={"name": f"Kunde {n} AS", "country": "NO"})
                latencies.append(time.perf_counter() - started)
                response.raise_for_status()

        await asyncio.gather(*(create(n) for n in range(WARM_UP)))
        latencies.clear()
        cpu_before = _cpu_seconds(pids)
        started = time.perf_counter()
        await asyncio.gather(*(create(n) for n in range(count)))
        elapsed = time.perf_counter() - started
        return count / elapsed, latencies, _cpu_seconds(pids) - cpu_before


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))] * 1000


async def measure_writes(
    pg_admin_url: str, amqp_url: str, count: int, concurrency: int, workers: int
) -> WriteResult:
    name = await create_database(pg_admin_url, "bench_writes")
    try:
        raw = await raw_inserts(with_database(pg_admin_url, name), count, concurrency)
        env = {
            "DATABASE_URL": with_database(pg_admin_url, name, driver="asyncpg"),
            "DATABASE_POOL_SIZE": str(concurrency),
            "AMQP_URL": amqp_url,
            "BUS_EXCHANGE": f"bench.{uuid.uuid4().hex[:8]}",
            "MIGRATE_ON_START": "true",
            "ENVIRONMENT": "test",
            "LOG_LEVEL": "WARNING",
            "WORKERS": str(workers),
        }
        log = Path(tempfile.gettempdir()) / "bench-customer-service.log"
        with running_service(["customer-service", "serve"], env, free_port(), log) as base_url:
            rate, latencies, cpu = await api_creates(base_url, count, concurrency)
        return WriteResult(
            creates=count,
            concurrency=concurrency,
            workers=workers,
            raw_inserts_per_s=raw,
            api_creates_per_s=rate,
            p50_ms=_percentile(latencies, 0.50),
            p95_ms=_percentile(latencies, 0.95),
            p99_ms=_percentile(latencies, 0.99),
            service_cpu_ms_per_create=cpu / count * 1000,
        )
    finally:
        await drop_database(pg_admin_url, name)
