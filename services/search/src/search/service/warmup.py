"""Ready means fast (issue 10 point 4): a cold OpenSearch answers its first few dozen queries several
times slower, so the service runs queries of every shape once before `/readyz` says ready.

The warm-up makes sure the index exists, then searches an office no one has (the same code paths,
caches and segments as real queries, and no data of anyone's), and repeats until OpenSearch answers;
it retries with a growing pause while OpenSearch is down.
"""

from __future__ import annotations

import asyncio
import logging

from search.adapters.opensearch import SearchIndex
from search.service.queries import Filters, Sort, page_requests, suggest_body

log = logging.getLogger(__name__)

WARMUP_OFFICE = "warm-up"
_TEXTS = (
    "fjord",
    "Østbø",
    "Oestboe bygg",
    "sjoberg",
    "ålesund",
    "923 609 016",
    "NO 923 609 016 MVA",
    "SE556036079301",
    "+47 412 34 567",
    "0047 41234567",
    "41234567",
    "kari@example.no",
    "nordman",
    "0150",
    "Storgata 1",
    "10",
)


class Warmup:
    def __init__(self, index: SearchIndex, queries: int) -> None:
        self.index = index
        self.queries = queries
        self.done = asyncio.Event()

    async def run(self) -> None:
        delay = 0.2
        while True:
            try:
                await self.index.ensure()
                await self._warm()
                self.done.set()
                log.info("search warmed up with %d queries", self.queries)
                return
            except Exception as exc:
                log.warning("warm-up interrupted, retrying in %.1fs: %s", delay, exc)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)

    async def _warm(self) -> None:
        for number in range(self.queries):
            text = _TEXTS[number % len(_TEXTS)]
            if number % 3 == 2:
                await self.index.search(suggest_body(text, WARMUP_OFFICE, 5))
            else:
                sort: Sort = "relevance" if number % 4 else "name"
                fuzzy = number % 2 == 0  # the typo-tolerant second request warms too
                await self.index.search_many(
                    page_requests(
                        text,
                        WARMUP_OFFICE,
                        Filters(),
                        sort=sort,
                        size=20,
                        after=None,
                        fuzzy=fuzzy,
                        facets=True,
                    )
                )
