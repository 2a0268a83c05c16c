"""Answering searches: the query of `search.service.queries` run on the index, its hits, facets and
the cursor to the next page.

The cursor (`next`) carries the sort it was made for and the last hit's sort values; handed back with
another sort, or edited, it is a 422 naming `cursor`, never a 500.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from search.adapters.opensearch import BadSearchRequest, SearchIndex
from search.service.queries import (
    FACETS,
    Filters,
    Sort,
    effective_sort,
    page_requests,
    suggest_body,
    words_of,
)
from servicekit.pagination import decode_cursor, encode_cursor
from servicekit.problems import InvalidField


@dataclass(frozen=True)
class Found:
    items: list[dict[str, Any]]
    total: int
    total_exact: bool
    facets: dict[str, list[dict[str, Any]]]
    next: str | None


FUZZY_MARK = "~"
"""Appended to the sort in a cursor made by the typo-tolerant request, so its next pages use it too."""


def _after(cursor: str | None, sort: Sort) -> tuple[list[Any] | None, bool]:
    """The position to continue after, and whether the pages before it were found typo-tolerantly."""
    if not cursor:
        return None, False
    made_for, values = decode_cursor(cursor, [str, str])
    fuzzy = made_for.endswith(FUZZY_MARK)
    try:
        position = json.loads(values)
    except ValueError:
        position = None
    if made_for.removesuffix(FUZZY_MARK) != sort or not isinstance(position, list) or len(position) != 2:
        raise InvalidField("cursor", "is not a cursor of this search and sort")
    if not all(value is None or isinstance(value, str | int | float) for value in position):
        raise InvalidField("cursor", "is not a cursor of this search and sort")
    return position, fuzzy


def _item(hit: dict[str, Any]) -> dict[str, Any]:
    source = hit["_source"]
    return {
        "id": source["id"],
        "customer_number": source.get("customer_number"),
        "name": source["name"],
        "active": source["active"],
        "type": source["type"],
        "city": source.get("city"),
        "country": source.get("country"),
        "score": hit.get("_score") or 0.0,
        "highlight": hit.get("highlight", {}),
    }


def _facets(aggregations: dict[str, Any], category_names: dict[str, str]) -> dict[str, list[dict[str, Any]]]:
    facets: dict[str, list[dict[str, Any]]] = {}
    for name in FACETS:
        buckets = aggregations.get(name, {}).get("buckets", [])
        facets[name] = [
            {
                "value": str(bucket.get("key_as_string", bucket["key"])),
                "label": category_names.get(str(bucket["key"])) if name == "category" else None,
                "count": bucket["doc_count"],
            }
            for bucket in buckets
        ]
    return facets


async def search_customers(
    index: SearchIndex,
    office_id: str,
    text: str | None,
    filters: Filters,
    *,
    sort: Sort,
    limit: int,
    cursor: str | None,
    category_names: Any,
    facets: bool = True,
) -> Found:
    """One page of the office's customers matching `text`; `category_names(ids)` names facet values."""
    sort = effective_sort(text, sort)
    after, fuzzy = _after(cursor, sort)

    async def ask(fuzzy: bool, after: list[Any] | None) -> tuple[dict[str, Any], dict[str, Any] | None]:
        """The page's hits, and the answer that counted the matches and their facets (if asked)."""
        answers = await index.search_many(
            page_requests(
                text, office_id, filters, sort=sort, size=limit, after=after, fuzzy=fuzzy, facets=facets
            )
        )
        return answers[0], answers[-1] if facets else None

    try:
        answer, counted = await ask(fuzzy, after)
        if after is None and not fuzzy and words_of(text or "") and answer["hits"]["total"]["value"] == 0:
            fuzzy = True  # nothing found: maybe a typo; ask again, typo-tolerant
            answer, counted = await ask(True, None)
    except BadSearchRequest:
        if after is not None:
            raise InvalidField("cursor", "is not a cursor of this search and sort") from None
        raise
    hits = answer["hits"]["hits"]
    total = (counted or answer)["hits"]["total"]
    aggregations = counted.get("aggregations", {}) if counted else {}
    category_ids = [str(b["key"]) for b in aggregations.get("category", {}).get("buckets", [])]
    names = await category_names(category_ids) if category_ids else {}
    following = None
    if len(hits) == limit:
        following = encode_cursor([sort + (FUZZY_MARK if fuzzy else ""), json.dumps(hits[-1]["sort"])])
    return Found(
        items=[_item(hit) for hit in hits],
        total=total["value"],
        total_exact=total["relation"] == "eq",
        facets=_facets(aggregations, names) if facets else {},
        next=following,
    )


async def suggest(index: SearchIndex, office_id: str, text: str, limit: int) -> list[dict[str, Any]]:
    answer = await index.search(suggest_body(text, office_id, limit))
    return [
        {
            "id": hit["_source"]["id"],
            "name": hit["_source"]["name"],
            "customer_number": hit["_source"].get("customer_number"),
            "active": hit["_source"]["active"],
        }
        for hit in answer["hits"]["hits"]
    ]
