"""The OpenSearch the test set-up starts has what the search service will need (SPEC §6)."""

from __future__ import annotations

import uuid

import httpx
import pytest


@pytest.fixture
def opensearch(infra):
    with httpx.Client(base_url=infra.opensearch_url, timeout=30) as client:
        yield client


def analyze(opensearch: httpx.Client, body: dict) -> list[str]:
    response = opensearch.post("/_analyze", json=body)
    assert response.status_code == 200, response.text
    return [token["token"] for token in response.json()["tokens"]]


def test_nordic_letters_fold_so_ostbo_finds_ostbo(opensearch):
    tokens = analyze(
        opensearch, {"tokenizer": "standard", "filter": ["lowercase", "asciifolding"], "text": "Østbø Æra"}
    )
    assert tokens == ["ostbo", "aera"]


def test_numbers_in_any_written_form_normalise_to_digits(opensearch):
    body = {
        "tokenizer": "keyword",
        "char_filter": [{"type": "pattern_replace", "pattern": "[^0-9]", "replacement": ""}],
        "text": "NO 923 609 016 MVA",
    }
    assert analyze(opensearch, body) == ["923609016"]


def test_prefix_search_as_you_type_works(opensearch):
    index = f"test-{uuid.uuid4().hex[:8]}"
    try:
        created = opensearch.put(
            f"/{index}", json={"mappings": {"properties": {"name": {"type": "search_as_you_type"}}}}
        )
        assert created.status_code == 200, created.text
        opensearch.put(f"/{index}/_doc/1?refresh=true", json={"name": "Fjordkraft Service"})
        query = {
            "query": {
                "multi_match": {"query": "fjordk", "type": "bool_prefix", "fields": ["name", "name._2gram"]}
            }
        }
        hits = opensearch.post(f"/{index}/_search", json=query).json()["hits"]["hits"]
        assert [hit["_id"] for hit in hits] == ["1"]
    finally:
        opensearch.delete(f"/{index}")


def test_edge_ngrams_and_the_norwegian_analyzer_are_available(opensearch):
    assert analyze(
        opensearch, {"tokenizer": {"type": "edge_ngram", "min_gram": 2, "max_gram": 3}, "text": "Oslo"}
    ) == ["Os", "Osl"]
    assert "kund" in analyze(opensearch, {"analyzer": "norwegian", "text": "kundene"})
