"""Loading the search benchmark's customers the fast way, into OpenSearch and into PostgreSQL.

OpenSearch: the service's own index definition, created without refreshes or replicas; bulk requests of
2,000 documents, two in flight (one per core); then the refresh interval the service runs with (1 s) and
a force-merge to one segment, as an operator does after a bulk load.
PostgreSQL: one table, rows by COPY; the trigram GIN index built after the load (faster than maintained
during it), then ANALYZE.

A loaded size is kept (`--keep`) and reused when it is there with every customer: loading a million takes
minutes, measuring it again should not.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterable
from typing import Any

import asyncpg
from opensearchpy import AsyncOpenSearch
from search_data import DATA_VERSION, OFFICE, Row, generate

from search.adapters.index_definition import MAPPING_VERSION, index_body

BULK_DOCUMENTS = 2_000
BULK_IN_FLIGHT = 2
COPY_ROWS = 20_000

TABLE = """
CREATE TABLE IF NOT EXISTS bench_customers (
    id uuid PRIMARY KEY, office_id text NOT NULL, customer_number text NOT NULL, name text NOT NULL,
    type text NOT NULL, country text NOT NULL, organisation_number text, vat_number text, street text NOT NULL,
    postal_code text NOT NULL, city text NOT NULL, contact_names text[] NOT NULL,
    contact_emails text[] NOT NULL, contact_phones text[] NOT NULL, haystack text NOT NULL
)
"""
COLUMNS = ("id", "office_id", "customer_number", "name", "type", "country", "organisation_number",
           "vat_number", "street", "postal_code", "city", "contact_names", "contact_emails", "contact_phones",
           "haystack")  # fmt: skip
TRIGRAM_INDEX = "CREATE INDEX IF NOT EXISTS bench_customers_haystack_trgm ON bench_customers USING gin (haystack gin_trgm_ops)"
NUMBER_INDEX = "CREATE INDEX IF NOT EXISTS bench_customers_number ON bench_customers (customer_number)"


def index_name(alias: str) -> str:
    return f"{alias}-v{MAPPING_VERSION}"


def row_from_record(record: asyncpg.Record) -> Row:
    return Row(**{name: record[name] for name in COLUMNS if name not in ("office_id", "haystack")})


def _record(row: Row) -> tuple[Any, ...]:
    return (row.id, OFFICE, row.customer_number, row.name, row.type, row.country, row.organisation_number,
            row.vat_number, row.street, row.postal_code, row.city, row.contact_names, row.contact_emails,
            row.contact_phones, row.haystack())  # fmt: skip


def _bulk_body(documents: Iterable[dict[str, Any]], index: str) -> str:
    lines = []
    for document in documents:
        action = {"index": {"_index": index, "_id": document["id"], "version": 1, "version_type": "external"}}
        lines += [json.dumps(action), json.dumps(document)]
    return "\n".join(lines) + "\n"


async def loaded(opensearch: AsyncOpenSearch, pg: asyncpg.Connection, alias: str, count: int) -> bool:
    """Whether this size is there already, made by this generator, every customer in both stores,
    indexes built."""
    if not await opensearch.indices.exists_alias(name=alias):
        return False
    mappings = await opensearch.indices.get_mapping(index=alias)
    [mapping] = [index["mappings"] for index in mappings.values()]
    if mapping.get("_meta", {}).get("bench_data_version") != DATA_VERSION:
        return False
    in_index = (await opensearch.count(index=alias, body={"query": {"term": {"office_id": OFFICE}}}))["count"]
    if in_index != count:
        return False
    if not await pg.fetchval("SELECT to_regclass('bench_customers_haystack_trgm') IS NOT NULL"):
        return False
    return bool(await pg.fetchval("SELECT count(*) FROM bench_customers") == count)


async def load(
    opensearch: AsyncOpenSearch, pg: asyncpg.Connection, alias: str, count: int
) -> dict[str, float]:
    """Generate `count` customers and load them into both stores; seconds spent per step."""
    await opensearch.indices.delete(index=f"{alias}-v*", params={"ignore_unavailable": "true"})
    body = index_body(shards=1, replicas=0, refresh_interval="-1", alias=alias)
    body["settings"]["index"]["translog"] = {"durability": "async"}
    body["mappings"] = {**body["mappings"], "_meta": {"bench_data_version": DATA_VERSION}}
    await opensearch.indices.create(index=index_name(alias), body=body)
    await pg.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    await pg.execute("DROP TABLE IF EXISTS bench_customers")
    await pg.execute(TABLE)

    started = time.perf_counter()
    in_flight: set[asyncio.Task[Any]] = set()
    records: list[tuple[Any, ...]] = []
    documents: list[dict[str, Any]] = []

    async def send(batch: list[dict[str, Any]]) -> None:
        answer = await opensearch.bulk(body=_bulk_body(batch, index_name(alias)), request_timeout=300)
        if answer["errors"]:
            refused = next(item for item in answer["items"] if "error" in next(iter(item.values())))
            raise RuntimeError(f"OpenSearch refused a document: {refused}")

    for row, document in generate(count):
        records.append(_record(row))
        documents.append(document)
        if len(documents) == BULK_DOCUMENTS:
            if len(in_flight) >= BULK_IN_FLIGHT:
                done, in_flight = await asyncio.wait(in_flight, return_when=asyncio.FIRST_COMPLETED)
                for task in done:
                    task.result()
            in_flight.add(asyncio.create_task(send(documents)))
            documents = []
        if len(records) == COPY_ROWS:
            await pg.copy_records_to_table("bench_customers", records=records, columns=COLUMNS)
            records = []
    if documents:
        in_flight.add(asyncio.create_task(send(documents)))
    if records:
        await pg.copy_records_to_table("bench_customers", records=records, columns=COLUMNS)
    for task in in_flight:
        await task
    loading = time.perf_counter() - started

    started = time.perf_counter()
    await opensearch.indices.put_settings(
        index=index_name(alias),
        body={"index": {"refresh_interval": "1s", "translog": {"durability": "request"}}},
    )
    await opensearch.indices.refresh(index=alias, request_timeout=600)
    await opensearch.indices.forcemerge(index=alias, max_num_segments=1, request_timeout=3600)
    merging = time.perf_counter() - started

    started = time.perf_counter()
    await pg.execute("SET maintenance_work_mem = '512MB'")
    await pg.execute(TRIGRAM_INDEX)
    await pg.execute(NUMBER_INDEX)
    await pg.execute("ANALYZE bench_customers")
    indexing = time.perf_counter() - started
    return {
        "generate_and_load_s": loading,
        "opensearch_refresh_and_merge_s": merging,
        "pg_trigram_index_s": indexing,
    }
