"""Whatever is typed becomes match and term queries built by code, never query syntax (issue 10 point 3)."""

from __future__ import annotations

import json

import pytest

from search.service.queries import (
    FACETS,
    MAX_WORDS,
    TOTAL_COUNTED,
    Filters,
    counting_too,
    facets_body,
    page_requests,
    search_body,
    words_of,
)

HOSTILE = [
    'name:"x" OR 1=1',
    "'; DROP TABLE customers; --",
    "*:*",
    "a AND (b OR",
    "\\",
    "/.*/",
    "~~~^^^",
    "\U0001d518\U0001d52b\U0001d526\U0001d520\U0001d52c\U0001d521\U0001d522 \u202e evil",
    "a-" * 100,
]


@pytest.mark.parametrize("typed", HOSTILE)
def test_no_query_holds_a_query_string_clause(typed):
    body = json.dumps(search_body(typed, "office-1", Filters(), sort="relevance", size=20, after=None))
    assert "query_string" not in body
    assert "simple_query_string" not in body


def test_pasted_text_is_cut_to_a_few_words():
    assert len(words_of("a-" * 100).split()) == MAX_WORDS


def test_every_query_is_limited_to_the_office_and_global_customers():
    body = search_body("x", "office-1", Filters(), sort="relevance", size=20, after=None)
    [office] = [clause for clause in body["query"]["bool"]["filter"] if "bool" in clause]
    assert office["bool"]["should"] == [{"term": {"office_id": "office-1"}}, {"term": {"global": True}}]


def test_without_text_relevance_means_by_name():
    body = search_body(None, "office-1", Filters(), sort="relevance", size=20, after=None)
    assert next(iter(body["sort"][0])) == "name.sort"


def test_typo_tolerance_is_only_in_the_second_request():
    first = json.dumps(
        search_body("fjordkarft", "office-1", Filters(), sort="relevance", size=20, after=None)
    )
    second = json.dumps(
        search_body("fjordkarft", "office-1", Filters(), sort="relevance", size=20, after=None, fuzzy=True)
    )
    assert "fuzziness" not in first
    assert "fuzziness" in second


def test_hits_are_counted_only_up_to_a_limit_and_facets_count_exactly_without_scoring():
    hits = search_body("oslo", "office-1", Filters(), sort="relevance", size=20, after=None)
    counted = facets_body("oslo", "office-1", Filters(active=True))
    assert hits["track_total_hits"] == TOTAL_COUNTED
    assert "aggs" not in hits
    assert counted["track_total_hits"] is True
    assert counted["size"] == 0
    assert set(counted["aggs"]) == set(FACETS)
    # The same matches as a filter: no scores to compute, clauses cacheable.
    assert "must" not in counted["query"]["bool"]
    assert hits["query"]["bool"]["must"][0] in counted["query"]["bool"]["filter"]
    assert {"term": {"active": True}} in counted["query"]["bool"]["filter"]


def test_the_typo_tolerant_request_counts_its_matches_and_facets_itself():
    hits = search_body("fjordkarft", "office-1", Filters(), sort="relevance", size=20, after=None, fuzzy=True)
    counted = counting_too(hits)
    assert counted["query"] == hits["query"]
    assert counted["sort"] == hits["sort"]
    assert counted["size"] == 20
    assert counted["track_total_hits"] is True
    assert set(counted["aggs"]) == set(FACETS)
    assert "aggs" not in hits


def test_a_page_asks_its_facets_beside_the_hits_except_in_the_typo_round():
    def shapes(fuzzy: bool, facets: bool) -> list[tuple[int, bool]]:
        bodies = page_requests(
            "oslo", "office-1", Filters(), sort="relevance", size=20, after=None, fuzzy=fuzzy, facets=facets
        )
        return [(body["size"], "aggs" in body) for body in bodies]

    assert shapes(fuzzy=False, facets=True) == [(20, False), (0, True)]
    assert shapes(fuzzy=True, facets=True) == [(20, True)]
    assert shapes(fuzzy=False, facets=False) == [(20, False)]
    assert shapes(fuzzy=True, facets=False) == [(20, False)]


@pytest.mark.parametrize(
    ("typed", "transliterated"),
    [("Espoo", False), ("Ostbo", False), ("Sjöberg", True), ("Oestboe", True), ("Aalesund", True)],
)
def test_transliterated_fields_are_asked_only_for_a_text_that_may_spell_out_a_nordic_letter(
    typed, transliterated
):
    # Without `aa`, `ae` or `oe` in its transliteration (`Sjöberg` has: `sjoeberg` finds `Sjoeberg`),
    # the folded fields find everything the transliterated ones would;
    # asking both walked a broad word's matches twice.
    body = json.dumps(search_body(typed, "office-1", Filters(), sort="relevance", size=20, after=None))
    assert ("translit" in body) is transliterated
    assert '"name.prefix"' in body
