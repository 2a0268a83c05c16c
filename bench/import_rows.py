"""The import benchmark (issue 12): a generated 100,000-row customer CSV imported through the real job of
the customer service (a real process), next to raw baselines of the same rows in the same run.

    uv run python bench/import_rows.py [--rows 100000] [--batch-size 500]

It prints rows/s of the job (upload to done) with the service process's peak memory (VmHWM from
/proc, before and after), and of two baselines on a scratch table with the same columns: asyncpg COPY and
executemany insert. It writes the figures as JSON under `bench/results/`. The target is 5,000 rows/s; it
asserts nothing (the machine is shared and noisy).
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from results_file import machine, write_results
from topology import remove_topology

from servicekit.auth import issue_token
from servicekit.bus import Topology
from servicekit.settings import JwtSettings
from servicekit.testing.databases import create_database, drop_database, with_database
from servicekit.testing.infrastructure import local_infrastructure
from servicekit.testing.processes import free_port, running_service
from servicekit.testing.services import topology_environment

HEADER = [
    "customer_number",
    "name",
    "type",
    "country",
    "segment",
    "remarks",
    "external_id.erp",
    "address_1_kind",
    "address_1_line1",
    "address_1_postal_code",
    "address_1_city",
]
CITIES = ["Oslo", "Bergen", "Trondheim", "Stavanger", "Tromsø", "Drammen", "Fredrikstad", "Kristiansand"]


def generate(path: Path, rows: int) -> None:
    """A realistic register: every row a new customer with a number, an ERP id and a visiting address."""
    with path.open("w", encoding="utf-8", newline="") as file:
        writer = csv.writer(file, lineterminator="\r\n")
        writer.writerow(HEADER)
        for n in range(1, rows + 1):
            writer.writerow(
                [
                    str(100000 + n),
                    f"Kunde {n} AS",
                    "company",
                    "NO",
                    ("SMB", "Enterprise", "Public")[n % 3],
                    f"Imported from the old system, row {n}",
                    f"ERP-{n}",
                    "visiting",
                    f"Storgata {n % 200 + 1}",
                    f"{n % 9000 + 1000}",
                    CITIES[n % len(CITIES)],
                ]
            )


def _rows_of(path: Path) -> list[tuple[Any, ...]]:
    with path.open(encoding="utf-8", newline="") as file:
        reader = csv.reader(file)
        next(reader)
        return [(uuid.uuid4(), "bench", *row) for row in reader]


_SCRATCH = (
    "CREATE TABLE {name} (id uuid PRIMARY KEY, office_id text NOT NULL, customer_number text, name text NOT NULL, "
    "type text, country text, segment text, remarks text, erp text, kind text, line1 text, postal_code text, "
    "city text)"
)


async def baselines(dsn: str, path: Path) -> dict[str, float]:
    """Rows/s of COPY and of executemany for the same rows into a scratch table (no rules, no events)."""
    rows = _rows_of(path)
    connection = await asyncpg.connect(dsn)
    try:
        figures = {}
        for name in ("copy", "executemany"):
            table = f"bench_import_{name}"
            await connection.execute(_SCRATCH.format(name=table))
            started = time.perf_counter()
            if name == "copy":
                await connection.copy_records_to_table(table, records=rows)
            else:
                placeholders = ", ".join(f"${n}" for n in range(1, 14))
                async with connection.transaction():
                    await connection.executemany(f"INSERT INTO {table} VALUES ({placeholders})", rows)
            figures[name] = len(rows) / (time.perf_counter() - started)
        return figures
    finally:
        await connection.close()


def _service_pid(port: int) -> int | None:
    """The service process listening on `port` (found by the PORT in its environment, since other
    services may run on this machine)."""
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes()
            if b"customer-service" not in cmdline:
                continue
            environ = (proc / "environ").read_bytes().split(b"\0")
        except OSError:
            continue
        if f"PORT={port}".encode() in environ:
            return int(proc.name)
    return None


def _peak_rss_mib(pid: int | None) -> float | None:
    if pid is None:
        return None
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return None


async def import_through_the_job(infra: Any, database: str, path: Path, batch_size: int) -> dict[str, Any]:
    port = free_port()
    topology = Topology(exchange=f"bench.{uuid.uuid4().hex[:8]}")
    env = {
        "DATABASE_URL": with_database(infra.pg_admin_url, database, driver="asyncpg") + "?ssl=disable",
        "AMQP_URL": infra.amqp_url,
        **topology_environment(topology),
        "MIGRATE_ON_START": "true",
        "ENVIRONMENT": "test",
        "LOG_LEVEL": "WARNING",
        "IMPORT_BATCH_SIZE": str(batch_size),
    }
    token = issue_token(JwtSettings(), subject="bench", office_id="bench-office", roles=["manager"])
    log = Path(tempfile.gettempdir()) / "bench-import-customer-service.log"
    try:
        with running_service(["customer-service", "serve"], env, port, log) as base_url:
            return await _time_the_job(base_url, token, path, _service_pid(port))
    finally:
        await remove_topology(infra.amqp_url, topology)


async def _time_the_job(base_url: str, token: str, path: Path, pid: int | None) -> dict[str, Any]:
    rss_before = _peak_rss_mib(pid)
    async with httpx.AsyncClient(
        base_url=base_url, headers={"Authorization": f"Bearer {token}"}, timeout=300
    ) as client:
        started = time.perf_counter()
        with path.open("rb") as file:
            response = await client.post("/v1/imports", files={"file": (path.name, file)})
        response.raise_for_status()
        job = response.json()
        uploaded = time.perf_counter() - started
        while job["status"] not in ("done", "failed"):
            await asyncio.sleep(0.5)
            job = (await client.get(f"/v1/imports/{job['id']}")).json()
        elapsed = time.perf_counter() - started
    rss_after = _peak_rss_mib(pid)
    return {
        "job": job,
        "upload_s": uploaded,
        "elapsed_s": elapsed,
        "rows_per_s": job["rows_done"] / elapsed,
        "service_peak_rss_mib_before": rss_before,
        "service_peak_rss_mib_after": rss_after,
    }


async def main(arguments: argparse.Namespace) -> None:
    report: dict[str, Any] = {
        "started_at": datetime.now(UTC).isoformat(),
        "machine": machine(),
        "rows": arguments.rows,
        "batch_size": arguments.batch_size,
    }
    with local_infrastructure() as infra, tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "customers.csv"
        generate(path, arguments.rows)
        report["file_bytes"] = path.stat().st_size
        database = await create_database(infra.pg_admin_url, "bench_import")
        try:
            report["baselines_rows_per_s"] = await baselines(
                with_database(infra.pg_admin_url, database) + "?sslmode=disable", path
            )
            report["job"] = await import_through_the_job(infra, database, path, arguments.batch_size)
        finally:
            await drop_database(infra.pg_admin_url, database)
    job, base = report["job"], report["baselines_rows_per_s"]
    print(
        f"import job: {job['rows_per_s']:,.0f} rows/s ({job['job']['rows_done']:,} rows in {job['elapsed_s']:.1f} s, "
        f"created {job['job']['created']:,}, failed {job['job']['failed']:,}); service peak RSS "
        f"{job['service_peak_rss_mib_before']} → {job['service_peak_rss_mib_after']} MiB"
    )
    print(f"baselines: COPY {base['copy']:,.0f} rows/s, executemany {base['executemany']:,.0f} rows/s")
    print(f"target 5,000 rows/s: {'met' if job['rows_per_s'] >= 5000 else 'missed'}")
    print(f"written to {write_results('import', report)}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--batch-size", type=int, default=500)
    asyncio.run(main(parser.parse_args()))
