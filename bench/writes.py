"""API writes against raw PostgreSQL: customer creates over HTTP next to asyncpg insert transactions.

Both sides run in the same benchmark run, against the same PostgreSQL, at the same concurrency (32):
- baseline: asyncpg single-row insert transactions (BEGIN; INSERT; COMMIT) from a pool of 32;
- measured: POST /v1/customers to the customer service running as a real process (`workers` of them),
  all in one office, so every create draws from the same number sequence.
The load comes from wrk (Debian's `wrk`, a C program that costs the 2 cores little); without it, from an
httpx client in this process, which costs more CPU than the service it measures and says so in the
result. Besides rates it records latency percentiles and the service's CPU time per create (from
/proc), which is steadier than wall time on a busy machine and tells where a miss comes from.

It also measures the stack's floor: the same process under the same load answering a create whose body
lacks its name, refused (422) before any database work. No create can be faster than that answer, so
the floor says how much of a miss is the HTTP stack (uvicorn, middleware, token, body validation) on
this machine, and how much the create's own work.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import httpx
from process_cpu import cpu_seconds, pids_of
from topology import remove_topology

from servicekit.auth import issue_token
from servicekit.bus import Topology
from servicekit.settings import JwtSettings
from servicekit.testing.databases import create_database, drop_database, with_database
from servicekit.testing.processes import free_port, running_service
from servicekit.testing.services import topology_environment

CONCURRENCY = 32
RAW_INSERTS = 20_000
BENCH_FOLDER = Path(__file__).resolve().parent
WRK_SCRIPT = BENCH_FOLDER / "create_customer.lua"


@dataclass(frozen=True)
class WriteResult:
    workers: int
    load_generator: str
    raw_inserts_per_s: float
    creates: int
    api_creates_per_s: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    failed: int
    service_cpu_ms_per_create: float
    refused_per_s: float
    """The stack's floor: bodies refused (422) before any database work, per second."""
    bare_fastapi_per_s: float | None
    """The framework's floor: `bench/bare_create.py` (body, token, 201; no database), per second."""

    @property
    def ratio(self) -> float:
        return self.api_creates_per_s / self.raw_inserts_per_s

    @property
    def ratio_bound(self) -> float | None:
        """The highest ratio a create could reach if it cost only a bare FastAPI request plus one raw
        insert transaction: on saturated cores their costs add, 1 / (1/bare + 1/raw), over raw."""
        if self.bare_fastapi_per_s is None:
            return None
        return self.bare_fastapi_per_s / (self.bare_fastapi_per_s + self.raw_inserts_per_s)


async def raw_inserts(dsn: str) -> float:
    """Single-row insert transactions per second, `CONCURRENCY` at a time."""
    pool = await asyncpg.create_pool(dsn, min_size=CONCURRENCY, max_size=CONCURRENCY)
    try:
        await pool.execute(
            "CREATE TABLE bench_rows (id uuid PRIMARY KEY, office_id text, name text, body jsonb)"
        )
        gate = asyncio.Semaphore(CONCURRENCY)

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
        await asyncio.gather(*(insert(n) for n in range(RAW_INSERTS)))
        return RAW_INSERTS / (time.perf_counter() - started)
    finally:
        await pool.close()


def _wrk(base_url: str, token: str, seconds: int, *, refused: bool = False) -> dict[str, int]:
    """Run wrk with the create script; its `done` hook prints one RESULT line of counts and latencies."""
    command = [
        "wrk",
        "-t2",
        f"-c{CONCURRENCY}",
        f"-d{seconds}s",
        "--timeout",
        "30s",
        "-s",
        str(WRK_SCRIPT),
        base_url,
    ]
    output = subprocess.run(
        command,
        env={**os.environ, "BENCH_TOKEN": token} | ({"BENCH_REFUSED": "1"} if refused else {}),
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    result = next(line for line in output.splitlines() if line.startswith("RESULT"))
    return {key: int(value) for key, value in (item.split("=") for item in result.split()[1:])}


async def _httpx(base_url: str, token: str, seconds: int, *, refused: bool = False) -> dict[str, int]:
    """The same load from this process, for machines without wrk."""
    latencies: list[float] = []
    failed = 0
    limits = httpx.Limits(max_connections=CONCURRENCY, max_keepalive_connections=CONCURRENCY)
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=base_url, headers=headers, limits=limits, timeout=30) as client:
        deadline = time.perf_counter() + seconds

        async def keep_creating() -> None:
            nonlocal failed
            while time.perf_counter() < deadline:
                started = time.perf_counter()
                body = {"country": "NO"} if refused else {"name": f"Kunde {uuid.uuid4().hex[:8]} AS"}
                response = await client.post("/v1/customers", json=body)
                latencies.append(time.perf_counter() - started)
                failed += response.status_code != (422 if refused else 201)

        started = time.perf_counter()
        await asyncio.gather(*(keep_creating() for _ in range(CONCURRENCY)))
        duration = time.perf_counter() - started
    latencies.sort()

    def percentile(fraction: float) -> int:
        return int(latencies[min(len(latencies) - 1, int(len(latencies) * fraction))] * 1_000_000)

    return {
        "requests": len(latencies),
        "duration_us": int(duration * 1_000_000),
        "non2xx": failed,
        "errors": 0,
        "p50_us": percentile(0.50),
        "p95_us": percentile(0.95),
        "p99_us": percentile(0.99),
    }


async def _bare_fastapi(token: str, seconds: int, workers: int) -> float:
    """Requests per second `bench/bare_create.py` answers under the same wrk load and workers."""
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "bare_create:app",
        "--host",
        "127.0.0.1",
        "--port",
        str(port := free_port()),
        "--workers",
        str(workers),
        "--no-access-log",
        "--log-level",
        "warning",
    ]
    env = {"PYTHONPATH": str(BENCH_FOLDER)}
    log = Path(tempfile.gettempdir()) / "bench-bare-fastapi.log"
    with running_service(command, env, port, log) as base_url:
        await asyncio.to_thread(_wrk, base_url, token, 3)
        counts = await asyncio.to_thread(_wrk, base_url, token, seconds)
    return counts["requests"] / (counts["duration_us"] / 1_000_000)


async def measure_writes(
    pg_admin_url: str, amqp_url: str, seconds: int, workers: int, connection_options: str = ""
) -> WriteResult:
    name = await create_database(pg_admin_url, "bench_writes")
    topology = Topology(exchange=f"bench.{uuid.uuid4().hex[:8]}")
    try:
        raw = await raw_inserts(
            with_database(pg_admin_url, name) + connection_options.replace("ssl=", "sslmode=")
        )
        env = {
            "DATABASE_URL": with_database(pg_admin_url, name, driver="asyncpg") + connection_options,
            "DATABASE_POOL_SIZE": str(CONCURRENCY),
            "AMQP_URL": amqp_url,
            **topology_environment(topology),
            "MIGRATE_ON_START": "true",
            "ENVIRONMENT": "test",
            "LOG_LEVEL": "WARNING",
            "WORKERS": str(workers),
        }
        token = issue_token(
            JwtSettings(), subject="bench", office_id=f"bench-{uuid.uuid4().hex[:8]}", roles=["manager"]
        )
        log = Path(tempfile.gettempdir()) / "bench-customer-service.log"
        generator = "wrk" if shutil.which("wrk") else "httpx in the benchmark process"
        with running_service(["customer-service", "serve"], env, free_port(), log) as base_url:
            pids = pids_of("customer-service serve", children=True)
            warm_up = 3
            if generator == "wrk":
                await asyncio.to_thread(_wrk, base_url, token, warm_up)
            else:
                await _httpx(base_url, token, warm_up)
            cpu_before = cpu_seconds(pids)
            if generator == "wrk":
                counts = await asyncio.to_thread(_wrk, base_url, token, seconds)
            else:
                counts = await _httpx(base_url, token, seconds)
            cpu = cpu_seconds(pids) - cpu_before
            if generator == "wrk":
                floor = await asyncio.to_thread(_wrk, base_url, token, seconds, refused=True)
            else:
                floor = await _httpx(base_url, token, seconds, refused=True)
        bare = await _bare_fastapi(token, seconds, workers) if generator == "wrk" else None
        creates = counts["requests"]
        return WriteResult(
            workers=workers,
            load_generator=generator,
            raw_inserts_per_s=raw,
            creates=creates,
            api_creates_per_s=creates / (counts["duration_us"] / 1_000_000),
            p50_ms=counts["p50_us"] / 1000,
            p95_ms=counts["p95_us"] / 1000,
            p99_ms=counts["p99_us"] / 1000,
            failed=counts["non2xx"] + counts["errors"],
            service_cpu_ms_per_create=cpu / creates * 1000,
            refused_per_s=floor["requests"] / (floor["duration_us"] / 1_000_000),
            bare_fastapi_per_s=bare,
        )
    finally:
        await remove_topology(amqp_url, topology)
        await drop_database(pg_admin_url, name)
