"""The search benchmark (issue 10 point 7): the search service at 100,000 and 1,000,000 customers, next to
PostgreSQL `ILIKE '%term%'` and `pg_trgm` over the same fields of the same rows, in the same run.

Run with the infrastructure up (`scripts/test.sh` or `scripts/up.sh` started it):

    uv run python bench/search_scale.py [--sizes 100000 1000000] [--per-kind 30] [--keep]

For each size it loads generated customers (`search_data`, the fast way: `search_load`), asks the same
query mix (`search_queries`: names, prefixes, typos, folded and transliterated letters, numbers and VAT
forms, phones in three forms, e-mails, contact names, streets, postal codes, cities) one at a time
through each path (OpenSearch's caches cleared before each, so no path finds what an earlier one left),
then four at a time for queries/s:
- **API**: `GET /v1/search/customers` of the search service running as a real process (HTTP, auth,
  the service's query and its typo-tolerant second request when nothing is found), with its facets;
- **API-nofacets**: the same with `facets=false`, as a search box asks;
- **engine** / **engine-nofacets**: the same query code calling OpenSearch directly from this process
  (no service, no HTTP server in between);
- **pg_trgm**: `haystack ILIKE '%text%'` over one lowercase column of every searched field, with a
  trigram GIN index, ordered by `similarity(name, text)`;
- **ILIKE**: the same statement with bitmap scans off, so PostgreSQL reads every row (fewer queries: each
  takes a second or so at a million).
It prints p50/p95/p99, queries/s and, per kind of query, how often a right answer was among the first 3.
At the largest size it then measures freshness: 1,000 creates at 200/s through the customer service's
API (a real process relaying to the search service's consumer over RabbitMQ), each timed from its 201
until a search finds it, with the CPU per create of each process it passes through (from /proc).
Results go to `bench/results/search-scale-*.json` with the machine's cores and
memory. Nothing is asserted: the targets are printed next to the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import aiohttp
import asyncpg
from opensearchpy import AsyncOpenSearch
from process_cpu import CpuMeter, pids_of, postgresql, rabbitmq
from results_file import machine, write_results
from search_data import NUMBER_BASE, OFFICE, Row
from search_load import COLUMNS, load, loaded, row_from_record
from search_queries import Query, query_mix
from topology import remove_topology

from search.adapters.opensearch import SearchIndex
from search.config import Settings
from search.service.queries import Filters
from search.service.searching import search_customers
from servicekit.auth import issue_token
from servicekit.bus import Topology
from servicekit.settings import JwtSettings
from servicekit.testing.databases import create_database, drop_database, with_database
from servicekit.testing.infrastructure import Infrastructure, local_infrastructure
from servicekit.testing.processes import free_port, running_service
from servicekit.testing.services import topology_environment

Search = Callable[[str], Awaitable[list[uuid.UUID]]]
TOP = 3
CONCURRENCY = 4
TRGM_SQL = (
    "SELECT id FROM bench_customers WHERE office_id = $1 AND haystack ILIKE $2 "
    "ORDER BY similarity(name, $3) DESC, id LIMIT 10"
)
FRESH_OFFICE = "office-bench-fresh"
TARGETS = {
    "api_p95_ms_at_1M": 15.0,
    "api_vs_pg_trgm_p95": 2.0,
    "engine_vs_pg_trgm_p95": 5.0,
    "freshness_p95_s": 1.5,
}


@dataclass
class PathResult:
    path: str
    queries: int
    p50_ms: float
    p95_ms: float
    p99_ms: float
    queries_per_s: float | None
    found: int
    found_by_kind: dict[str, str] = field(default_factory=dict)


def percentile(values: Sequence[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))]


def like_pattern(text: str) -> str:
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


async def rows_by_id(pg: asyncpg.Pool, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, Row]:
    records = await pg.fetch(
        f"SELECT {', '.join(COLUMNS)} FROM bench_customers WHERE id = ANY($1)", list(ids)
    )
    return {record["id"]: row_from_record(record) for record in records}


async def sample_rows(pg: asyncpg.Pool, size: int, count: int, seed: int) -> list[Row]:
    positions = random.Random(seed).sample(range(size), min(count, size))
    numbers = [str(NUMBER_BASE + position) for position in positions]
    records = await pg.fetch(
        f"SELECT {', '.join(COLUMNS)} FROM bench_customers WHERE customer_number = ANY($1)", numbers
    )
    return [row_from_record(record) for record in records]


async def measure(
    name: str, search: Search, mix: Sequence[Query], pg: asyncpg.Pool, *, rate: bool
) -> PathResult:
    """One query at a time for latencies and answers, then `CONCURRENCY` at a time for queries/s."""
    latencies: list[float] = []
    answers: list[list[uuid.UUID]] = []
    for query in mix:
        started = time.perf_counter()
        answers.append((await search(query.text))[:TOP])
        latencies.append((time.perf_counter() - started) * 1000)
    queries_per_s = None
    if rate:
        pending = list(mix)
        started = time.perf_counter()

        async def worker() -> None:
            while pending:
                await search(pending.pop().text)

        await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
        queries_per_s = len(mix) / (time.perf_counter() - started)
    rows = await rows_by_id(pg, [hit for answer in answers for hit in answer])
    found: dict[str, list[int]] = {}
    for query, answer in zip(mix, answers, strict=True):
        right = any(query.accepts(rows[hit]) for hit in answer if hit in rows)
        tally = found.setdefault(query.kind, [0, 0])
        tally[0] += right
        tally[1] += 1
    return PathResult(
        path=name,
        queries=len(mix),
        p50_ms=percentile(latencies, 0.50),
        p95_ms=percentile(latencies, 0.95),
        p99_ms=percentile(latencies, 0.99),
        queries_per_s=queries_per_s,
        found=sum(tally[0] for tally in found.values()),
        found_by_kind={kind: f"{tally[0]}/{tally[1]}" for kind, tally in sorted(found.items())},
    )


def engine_search(index: SearchIndex, *, facets: bool) -> Search:
    async def no_names(ids: list[str]) -> dict[str, str]:
        return {}

    async def search(text: str) -> list[uuid.UUID]:
        found = await search_customers(
            index,
            OFFICE,
            text,
            Filters(),
            sort="relevance",
            limit=10,
            cursor=None,
            category_names=no_names,
            facets=facets,
        )
        return [uuid.UUID(item["id"]) for item in found.items]

    return search


def api_search(client: aiohttp.ClientSession, *, facets: bool) -> Search:
    # aiohttp rather than httpx: asking the same requests in turn, httpx added 3 ms at p50 and 4 ms at
    # p95 of its own to every answer (its request building and connection pool, in Python).
    async def search(text: str) -> list[uuid.UUID]:
        params = {"q": text, "limit": 10, "facets": str(facets).lower()}
        async with client.get("/v1/search/customers", params=params) as response:
            response.raise_for_status()
            answer = await response.json()
        return [uuid.UUID(item["id"]) for item in answer["items"]]

    return search


def sql_search(pool: asyncpg.Pool) -> Search:
    async def search(text: str) -> list[uuid.UUID]:
        return [record["id"] for record in await pool.fetch(TRGM_SQL, OFFICE, like_pattern(text), text)]

    return search


def token(office_id: str) -> str:
    return issue_token(JwtSettings(), subject="bench", office_id=office_id, roles=["manager"])


@contextlib.contextmanager
def platform(
    infra: Infrastructure, databases: dict[str, str], index_prefix: str, topology: Topology
) -> Iterator[dict[str, str]]:
    """The customer and search services as real processes on an exchange of their own."""
    common = {
        "AMQP_URL": infra.amqp_url,
        **topology_environment(topology),
        "MIGRATE_ON_START": "true",
        "ENVIRONMENT": "test",
        "LOG_LEVEL": "WARNING",
        "OPENSEARCH_URL": infra.opensearch_url,
        "SEARCH_INDEX_PREFIX": index_prefix,
        "OUTBOX_POLL_INTERVAL_S": "0.5",
    }
    logs = Path(tempfile.gettempdir())
    with contextlib.ExitStack() as stack:
        urls = {}
        for service in ("search", "customer"):
            env = {
                **common,
                # The customer service as it runs for a load: a worker process per core.
                "WORKERS": "2" if service == "customer" else "1",
                # No TLS on loopback, as in bench/throughput.py: its handshakes and encryption would be
                # measured instead of the services.
                "DATABASE_URL": with_database(infra.pg_admin_url, databases[service], driver="asyncpg")
                + "?ssl=disable",
            }
            urls[service] = stack.enter_context(
                running_service(
                    [f"{service}-service", "serve"], env, free_port(), logs / f"bench-{service}.log"
                )
            )
        yield urls


async def freshness(
    customer_url: str, opensearch: AsyncOpenSearch, alias: str, creates: int, rate: float
) -> dict[str, Any]:
    """Create `creates` customers at `rate` per second; for each, seconds from its 201 until a search of
    the index finds it (polled every 20 ms with one `ids` query for all that are pending)."""
    answered: dict[str, float] = {}
    fresh: dict[str, float] = {}
    failures: list[int] = []
    retried = 0
    # aiohttp rather than httpx: at 200 requests/s httpx's connection pool alone kept a core busy, so the
    # load generator, not the platform, set the rate. Idle connections are dropped before uvicorn's 5 s
    # keep-alive ends, so a request rarely meets a connection the server is closing; one that does is
    # sent again with the same Idempotency-Key.
    connector = aiohttp.TCPConnector(limit=64, keepalive_timeout=3)
    headers = {"Authorization": f"Bearer {token(FRESH_OFFICE)}"}
    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(
        base_url=customer_url, headers=headers, connector=connector, timeout=timeout
    ) as client:

        async def create(n: int) -> None:
            nonlocal retried
            body = {"name": f"Ferskvare {n} {uuid.uuid4().hex[:6]} AS", "country": "NO"}
            key = {"Idempotency-Key": str(uuid.uuid4())}
            for attempt in range(3):
                try:
                    async with client.post("/v1/customers", json=body, headers=key) as response:
                        status, answer = response.status, await response.json()
                    break
                except aiohttp.ClientConnectionError:
                    if attempt == 2:
                        raise
                    retried += 1
            if status != 201:
                failures.append(status)
                return
            answered[answer["id"]] = time.perf_counter()

        async def poll(until: float) -> None:
            while time.perf_counter() < until and (
                len(fresh) + len(failures) < creates or len(answered) > len(fresh)
            ):
                pending = [id_ for id_ in answered if id_ not in fresh]
                if pending:
                    body = {"size": len(pending), "_source": False, "query": {"ids": {"values": pending}}}
                    hits = (await opensearch.search(index=alias, body=body))["hits"]["hits"]
                    now = time.perf_counter()
                    for hit in hits:
                        fresh[hit["_id"]] = now
                await asyncio.sleep(0.02)

        meter = platform_cpu()
        meter.start()
        started = time.perf_counter()
        poller = asyncio.create_task(poll(started + creates / rate + 60))
        tasks = []
        for n in range(creates):
            await asyncio.sleep(max(0.0, started + n / rate - time.perf_counter()))
            tasks.append(asyncio.create_task(create(n)))
        await asyncio.gather(*tasks)
        sent_in = time.perf_counter() - started
        await poller
        cpu = meter.stop()
    delays = [fresh[id_] - answered[id_] for id_ in fresh]
    # This OpenSearch has no reindex module (no _delete_by_query): remove the created ones by id.
    created = [{"delete": {"_index": alias, "_id": id_}} for id_ in answered]
    if created:
        await opensearch.bulk(body=created, params={"refresh": "true"})
    return {
        "creates": creates,
        "target_rate_per_s": rate,
        "achieved_rate_per_s": round(creates / sent_in, 1),
        "failed_creates": len(failures),
        "creates_sent_again_after_a_dropped_connection": retried,
        "never_found": len(answered) - len(fresh),
        "p50_s": round(percentile(delays, 0.50), 3) if delays else None,
        "p95_s": round(percentile(delays, 0.95), 3) if delays else None,
        "p99_s": round(percentile(delays, 0.99), 3) if delays else None,
        "mean_s": round(statistics.fmean(delays), 3) if delays else None,
        "cpu_ms_per_create": {name: round(seconds / creates * 1000, 2) for name, seconds in cpu.items()},
    }


def platform_cpu() -> CpuMeter:
    """CPU of every process a create passes through, and of this benchmark's own (the load and the polls)."""
    return CpuMeter(
        {
            "customer API (workers)": lambda: sorted(
                set(pids_of("customer-service serve", children=True))
                - set(pids_of("customer-service background"))
            ),
            "customer background (relay)": lambda: pids_of("customer-service background"),
            "search service": lambda: pids_of("search-service serve", children=True),
            "postgresql": postgresql,
            "rabbitmq": rabbitmq,
            "opensearch": lambda: pids_of("org.opensearch.bootstrap.OpenSearch"),
            "benchmark (load, polls)": lambda: [str(os.getpid())],
        }
    )


def print_paths(size: int, results: Sequence[PathResult]) -> None:
    print(f"\n{size:,} customers: {results[0].queries} queries of {len(results[0].found_by_kind)} kinds")
    print(f"  {'path':<16} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'queries/s':>10}  found in top 3")
    for result in results:
        rate = f"{result.queries_per_s:,.0f}" if result.queries_per_s else "-"
        print(
            f"  {result.path:<16} {result.p50_ms:>8.1f} {result.p95_ms:>8.1f} {result.p99_ms:>8.1f} {rate:>10}"
            f"  {result.found}/{result.queries}"
        )
    print(f"  {'kind':<34}" + "".join(f"{result.path:>16}" for result in results))
    for kind in results[0].found_by_kind:
        print(f"  {kind:<34}" + "".join(f"{result.found_by_kind.get(kind, '-'):>16}" for result in results))


async def ensure_database(admin_url: str, database: str) -> str:
    admin = await asyncpg.connect(admin_url)
    try:
        if not await admin.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", database):
            await admin.execute(f'CREATE DATABASE "{database}"')
    finally:
        await admin.close()
    return with_database(admin_url, database)


async def measure_paths(
    urls: dict[str, str],
    index: SearchIndex,
    pool: asyncpg.Pool,
    seq_pool: asyncpg.Pool,
    size: int,
    per_kind: int,
    ilike_every: int,
) -> list[PathResult]:
    mix = query_mix(await sample_rows(pool, size, per_kind * 3, seed=size), per_kind, seed=size)
    warm_up = query_mix(await sample_rows(pool, size, 60, seed=size + 1), 2, seed=size + 1)
    headers = {"Authorization": f"Bearer {token(OFFICE)}"}
    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(base_url=urls["search"], headers=headers, timeout=timeout) as api:
        paths: list[tuple[str, Search, Sequence[Query]]] = [
            ("API", api_search(api, facets=True), mix),
            ("API-nofacets", api_search(api, facets=False), mix),
            ("engine", engine_search(index, facets=True), mix),
            ("engine-nofacets", engine_search(index, facets=False), mix),
            ("pg_trgm", sql_search(pool), mix),
            ("ILIKE", sql_search(seq_pool), mix[::ilike_every]),
        ]
        results = []
        for name, search, queries in paths:
            print(f"  measuring {name} ...", flush=True)
            # Every path asks the same texts: without this, a later path would find the facet answers
            # in OpenSearch's request cache and the texts' clauses in its query cache, left by the
            # paths before it (the engine with facets came out as fast as without).
            await index.call("indices.clear_cache", index=index.alias)
            for query in warm_up[: 10 if name == "ILIKE" else None]:
                await search(query.text)
            results.append(await measure(name, search, queries, pool, rate=name != "ILIKE"))
    return results


async def measure_size(infra: Infrastructure, size: int, arguments: argparse.Namespace) -> dict[str, Any]:
    """Load (or reuse) this size, measure every path on it, and freshness at the largest size."""
    prefix = f"bench-search-{size}"
    alias = f"{prefix}-customers"
    database = f"bench_search_{size}"
    dsn = await ensure_database(infra.pg_admin_url, database)
    entry: dict[str, Any] = {"size": size}
    services: dict[str, str] = {}
    async with contextlib.AsyncExitStack() as stack:
        opensearch = AsyncOpenSearch(hosts=[infra.opensearch_url], timeout=120)
        stack.push_async_callback(opensearch.close)
        if not arguments.keep:
            stack.push_async_callback(drop_database, infra.pg_admin_url, database)
            stack.push_async_callback(
                opensearch.indices.delete, index=f"{alias}-v*", params={"ignore_unavailable": "true"}
            )
        pg = await asyncpg.connect(dsn)
        try:
            if await loaded(opensearch, pg, alias, size):
                print(f"{size:,} customers: loaded already, reused")
            else:
                print(f"{size:,} customers: generating and loading ...", flush=True)
                entry["load"] = await load(opensearch, pg, alias, size)
                print("  " + ", ".join(f"{step} {seconds:.0f} s" for step, seconds in entry["load"].items()))
        finally:
            await pg.close()
        for name in ("search", "customer"):
            services[name] = await create_database(infra.pg_admin_url, f"bench_{name}")
            stack.push_async_callback(drop_database, infra.pg_admin_url, services[name])
        pool = await stack.enter_async_context(
            asyncpg.create_pool(dsn, min_size=CONCURRENCY, max_size=CONCURRENCY)
        )
        seq_pool = await stack.enter_async_context(
            asyncpg.create_pool(dsn, min_size=1, max_size=1, server_settings={"enable_bitmapscan": "off"})
        )
        index = SearchIndex(Settings(search_index_prefix=prefix, opensearch_url=infra.opensearch_url))
        stack.push_async_callback(index.close)
        topology = Topology(exchange=f"bench.{uuid.uuid4().hex[:8]}", queue_type="classic")
        stack.push_async_callback(remove_topology, infra.amqp_url, topology)
        urls = stack.enter_context(platform(infra, services, prefix, topology))
        if arguments.per_kind:
            results = await measure_paths(
                urls, index, pool, seq_pool, size, arguments.per_kind, arguments.ilike_every
            )
            print_paths(size, results)
            entry["paths"] = [asdict(result) for result in results]
            by_path = {result.path: result for result in results}
            entry["ratios"] = {
                f"pg_trgm_p95_over_{path}_p95": round(by_path["pg_trgm"].p95_ms / by_path[path].p95_ms, 2)
                for path in ("API", "API-nofacets", "engine", "engine-nofacets")
            }
            print("  " + ", ".join(f"{key} {value}" for key, value in entry["ratios"].items()))
        if size == max(arguments.sizes) and arguments.freshness_creates:
            creates, rate = arguments.freshness_creates, arguments.freshness_rate
            print(f"  freshness: {creates} creates at {rate}/s ...", flush=True)
            entry["freshness"] = await freshness(urls["customer"], opensearch, alias, creates, rate)
            print("  freshness " + ", ".join(f"{key} {value}" for key, value in entry["freshness"].items()))
    return entry


async def main(arguments: argparse.Namespace) -> None:
    report: dict[str, Any] = {
        "started_at": datetime.now(UTC).isoformat(),
        "machine": machine(),
        "targets": TARGETS,
        "sizes": [],
    }
    with local_infrastructure() as infra:
        for size in arguments.sizes:
            report["sizes"].append(await measure_size(infra, size, arguments))
    print(f"written to {write_results('search-scale', report)}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--per-kind", type=int, default=30, help="queries of each kind (0: freshness only)")
    parser.add_argument("--ilike-every", type=int, default=6, help="the ILIKE path asks every n-th query")
    parser.add_argument("--freshness-creates", type=int, default=1000)
    parser.add_argument("--freshness-rate", type=float, default=200)
    parser.add_argument(
        "--keep", action="store_true", help="keep the loaded index and table for the next run"
    )
    asyncio.run(main(parser.parse_args()))
