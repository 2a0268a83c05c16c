"""The customer index: settings, analysers and an explicit, strict mapping (SPEC §6, issue 10 point 1).

Analysers, and why:
- `folded`: standard tokens, lowercase, ASCII folding: `Østbø` → `ostbo`, `Sjöberg` → `sjoberg`.
- `translit`: first spells the Nordic letters as on a foreign keyboard (`å` → `aa`, `æ`/`ä` → `ae`,
  `ø`/`ö` → `oe`), then folds: so `Oestboe` and `Aalesund` find `Østbø` and `Ålesund`. Text fields carry
  both, a query is matched against both, so either spelling finds either.
- `prefix` / `translit_prefix` (index side only): edge n-grams of the folded tokens for as-you-type;
  searched with the plain analysers, so a query token matches any indexed prefix.
- `email_parts`: an e-mail split at every non-letter, so `nordmann` finds `kari.nordmann@firma.no`.
Numbers are keywords with a lowercase normaliser, written in every form by `search.domain.numbers`.

`MAPPING_VERSION` names the concrete index behind the alias; change it with the mapping, and a rebuild
fills the new index before the alias moves.
"""

from __future__ import annotations

from typing import Any

MAPPING_VERSION = 1

_NORDIC_SPELLINGS = [
    "å => aa",
    "Å => Aa",
    "æ => ae",
    "Æ => Ae",
    "ä => ae",
    "Ä => Ae",
    "ø => oe",
    "Ø => Oe",
    "ö => oe",
    "Ö => Oe",
]

ANALYSIS: dict[str, Any] = {
    "char_filter": {"nordic_spellings": {"type": "mapping", "mappings": _NORDIC_SPELLINGS}},
    "filter": {
        "prefixes": {"type": "edge_ngram", "min_gram": 1, "max_gram": 20},
    },
    "tokenizer": {"email_parts": {"type": "pattern", "pattern": "[^\\p{L}\\p{N}]+"}},
    "normalizer": {
        "lower": {"type": "custom", "filter": ["lowercase"]},
        "folded": {"type": "custom", "filter": ["lowercase", "asciifolding"]},
    },
    "analyzer": {
        "folded": {"type": "custom", "tokenizer": "standard", "filter": ["lowercase", "asciifolding"]},
        "translit": {
            "type": "custom",
            "char_filter": ["nordic_spellings"],
            "tokenizer": "standard",
            "filter": ["lowercase", "asciifolding"],
        },
        "prefix": {
            "type": "custom",
            "tokenizer": "standard",
            "filter": ["lowercase", "asciifolding", "prefixes"],
        },
        "translit_prefix": {
            "type": "custom",
            "char_filter": ["nordic_spellings"],
            "tokenizer": "standard",
            "filter": ["lowercase", "asciifolding", "prefixes"],
        },
        "email_parts": {
            "type": "custom",
            "tokenizer": "email_parts",
            "filter": ["lowercase", "asciifolding"],
        },
    },
}

_KEYWORD = {"type": "keyword"}
_LOWER_KEYWORD = {"type": "keyword", "normalizer": "lower"}


def _text(*, copy_to_text: bool = True, prefixes: bool = False, sort: bool = False) -> dict[str, Any]:
    """A text field analysed both folded and transliterated (and, if asked, with prefixes)."""
    fields: dict[str, Any] = {"translit": {"type": "text", "analyzer": "translit"}}
    if prefixes:
        fields["prefix"] = {
            "type": "text",
            "analyzer": "prefix",
            "search_analyzer": "folded",
            "index_options": "docs",
            "norms": False,
        }
        fields["translit_prefix"] = {
            "type": "text",
            "analyzer": "translit_prefix",
            "search_analyzer": "translit",
            "index_options": "docs",
            "norms": False,
        }
    if sort:
        fields["sort"] = {"type": "keyword", "normalizer": "folded"}
    field: dict[str, Any] = {"type": "text", "analyzer": "folded", "fields": fields}
    if copy_to_text:
        field["copy_to"] = ["text"]
    return field


MAPPINGS: dict[str, Any] = {
    "dynamic": "strict",
    "properties": {
        "id": _KEYWORD,
        "office_id": _KEYWORD,
        "global": {"type": "boolean"},
        "customer_number": {"type": "keyword", "normalizer": "lower"},
        "name": _text(prefixes=True, sort=True),
        "type": _KEYWORD,
        "active": {"type": "boolean"},
        "segment": {**_KEYWORD, "copy_to": ["text"]},
        "country": _KEYWORD,
        "city": {"type": "keyword", "index": False},
        "cities": _KEYWORD,
        "postal_codes": _LOWER_KEYWORD,
        "organisation_number": {"type": "keyword", "index": False},
        "vat_number": {"type": "keyword", "index": False},
        "numbers": _LOWER_KEYWORD,
        "owner_id": _KEYWORD,
        "owner_name": _text(),
        "category_ids": _KEYWORD,
        "category_names": _text(),
        "addresses": {
            "properties": {
                "line1": _text(),
                "line2": _text(),
                "postal_code": {"type": "keyword", "index": False},
                "city": _text(),
                "region": _text(),
                "country": {"type": "keyword", "index": False},
            }
        },
        # Nested, each contact with its office: a global customer is shared, but each office keeps its
        # own contact persons of it, and one office must not find it through another office's contacts.
        "contacts": {
            "type": "nested",
            "properties": {
                "id": _KEYWORD,
                "office_id": _KEYWORD,
                "version": {"type": "long"},
                "name": _text(copy_to_text=False, prefixes=True),
                "email": {
                    **_LOWER_KEYWORD,
                    "fields": {"parts": {"type": "text", "analyzer": "email_parts"}},
                },
                "phones": _KEYWORD,
                "title": _text(copy_to_text=False),
                "active": {"type": "boolean"},
            },
        },
        "text": _text(copy_to_text=False, prefixes=True),
        "updated_at": {"type": "date"},
        "version": {"type": "long"},
    },
}


def index_body(*, shards: int, replicas: int, refresh_interval: str, alias: str | None) -> dict[str, Any]:
    """The body that creates a versioned index; with `alias`, the alias points at it at once."""
    body: dict[str, Any] = {
        "settings": {
            "index": {
                "number_of_shards": shards,
                "number_of_replicas": replicas,
                "refresh_interval": refresh_interval,
                "max_ngram_diff": 20,
            },
            "analysis": ANALYSIS,
        },
        "mappings": MAPPINGS,
    }
    if alias is not None:
        body["aliases"] = {alias: {}}
    return body
