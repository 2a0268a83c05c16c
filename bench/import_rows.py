"""The import benchmark (issue 12): a generated 100,000-row customer CSV imported through the real job of
the customer service (a real process), next to raw baselines of the same rows in the same run.

    uv run python bench/import_rows.py [--rows 100000] [--batch-size 500]

It prints rows/s of the job (upload to done, and upload until the relay has put every event of the job
on the bus) with the service process's peak memory (VmHWM from /proc, before and after), and the CPU
time per row of the service, PostgreSQL and RabbitMQ over that span. Baselines in the same run:
- asyncpg COPY and executemany of the same rows into a scratch table with the same columns;
- publishing: the job's own events (read back from the outbox once the service has stopped) sent by
  plain aio-pika with the relay's messages, waves and confirms, with no database, to a topology of the
  same queues: one message per imported customer is what the contracts ask, and this is what the
  broker and the publisher alone cost for it, on this machine.
It writes the figures as JSON under `bench/results/`. The target is 5,000 rows/s; it asserts nothing
(the machine is shared and noisy).
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import os
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import asyncpg
import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from process_cpu import CpuMeter, postgresql, rabbitmq, with_children
from results_file import machine, write_results
from topology import remove_topology

from servicekit.auth import issue_token
from servicekit.bus import Bus, Topology, declare_topology
from servicekit.relay import to_message
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
    dsn = with_database(infra.pg_admin_url, database)
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
            return await _time_the_job(base_url, token, path, _service_pid(port), dsn)
    finally:
        await remove_topology(infra.amqp_url, topology)


async def _unpublished(connection: asyncpg.Connection) -> int:
    return int(await connection.fetchval("SELECT count(*) FROM outbox WHERE published_at IS NULL"))


async def _time_the_job(base_url: str, token: str, path: Path, pid: int | None, dsn: str) -> dict[str, Any]:
    rss_before = _peak_rss_mib(pid)
    meter = CpuMeter(
        {
            "service": lambda: with_children([str(pid)]) if pid else [],
            "postgresql": postgresql,
            "rabbitmq": rabbitmq,
        }
    )
    database = await asyncpg.connect(dsn)
    async with httpx.AsyncClient(
        base_url=base_url, headers={"Authorization": f"Bearer {token}"}, timeout=300
    ) as client:
        meter.start()
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
        # The job is done when its rows are committed; its events are the relay's to publish after.
        while await _unpublished(database):  # noqa: ASYNC110 (polled: nothing signals it here)
            await asyncio.sleep(0.2)
        published = time.perf_counter() - started
        cpu = meter.stop()
    await database.close()
    rss_after = _peak_rss_mib(pid)
    rows = job["rows_done"]
    return {
        "job": job,
        "upload_s": uploaded,
        "elapsed_s": elapsed,
        "rows_per_s": rows / elapsed,
        "events_published_s": published,
        "rows_per_s_until_published": rows / published,
        "cpu_us_per_row_until_published": {name: seconds / rows * 1e6 for name, seconds in cpu.items()},
        "service_peak_rss_mib_before": rss_before,
        "service_peak_rss_mib_after": rss_after,
    }


async def publishing_baseline(amqp_url: str, dsn: str, wave: int = 200) -> dict[str, float]:
    """The job's events as the relay sends them (same messages, waves of its batch size, confirms),
    from plain aio-pika with no database, to a fresh topology of the same queues."""
    topology = Topology(exchange=f"bench.{uuid.uuid4().hex[:8]}")
    bus = Bus(amqp_url, topology)
    database = await asyncpg.connect(dsn)
    try:
        rows = await database.fetch(
            "SELECT event_id, event_type, envelope::text AS body, envelope->>'correlation_id' AS correlation_id, "
            "(envelope->>'schema_version')::int AS schema_version, envelope->>'office_id' AS office_id "
            "FROM outbox ORDER BY id"
        )
        messages = [(to_message(SimpleNamespace(**row)), row["event_type"]) for row in rows]
        del rows
        async with (await bus.connection()).channel(
            publisher_confirms=True, on_return_raises=True
        ) as channel:
            exchange = await declare_topology(channel, topology)
            meter = CpuMeter({"broker": rabbitmq, "publisher": lambda: [str(os.getpid())]})
            meter.start()
            started = time.perf_counter()
            for first in range(0, len(messages), wave):
                await asyncio.gather(
                    *(
                        exchange.publish(message, routing_key=event_type, mandatory=True)
                        for message, event_type in messages[first : first + wave]
                    )
                )
            elapsed = time.perf_counter() - started
            cpu = meter.stop()
    finally:
        await database.close()
        await bus.close()
        await remove_topology(amqp_url, topology)
    return {
        "events": len(messages),
        "events_per_s": len(messages) / elapsed,
        "broker_cpu_us_per_event": cpu["broker"] / len(messages) * 1e6,
        "publisher_cpu_us_per_event": cpu["publisher"] / len(messages) * 1e6,
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
            report["publishing_baseline"] = await publishing_baseline(
                infra.amqp_url, with_database(infra.pg_admin_url, database)
            )
        finally:
            await drop_database(infra.pg_admin_url, database)
    job, base, publishing = report["job"], report["baselines_rows_per_s"], report["publishing_baseline"]
    print(
        f"import job: {job['rows_per_s']:,.0f} rows/s ({job['job']['rows_done']:,} rows in {job['elapsed_s']:.1f} s, "
        f"created {job['job']['created']:,}, failed {job['job']['failed']:,}); service peak RSS "
        f"{job['service_peak_rss_mib_before']} → {job['service_peak_rss_mib_after']} MiB"
    )
    print(
        f"until every event was on the bus: {job['rows_per_s_until_published']:,.0f} rows/s "
        f"({job['events_published_s']:.1f} s); CPU per row: "
        + ", ".join(f"{name} {us:,.0f} µs" for name, us in job["cpu_us_per_row_until_published"].items())
    )
    print(f"baselines: COPY {base['copy']:,.0f} rows/s, executemany {base['executemany']:,.0f} rows/s")
    print(
        f"publishing the job's events alone (aio-pika, no database): {publishing['events_per_s']:,.0f} events/s; "
        f"CPU per event: broker {publishing['broker_cpu_us_per_event']:,.0f} µs, "
        f"publisher {publishing['publisher_cpu_us_per_event']:,.0f} µs "
        f"(at 5,000 rows/s, {os.cpu_count()} cores leave {(os.cpu_count() or 1) * 1e6 / 5000:,.0f} µs per row in all)"
    )
    print(f"target 5,000 rows/s: {'met' if job['rows_per_s'] >= 5000 else 'missed'}")
    print(f"written to {write_results('import', report)}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--batch-size", type=int, default=500)
    asyncio.run(main(parser.parse_args()))
