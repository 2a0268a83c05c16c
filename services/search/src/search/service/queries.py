"""The OpenSearch queries behind the search API, built by code from plain text (never `query_string`):
whatever a user types is looked up as words and numbers, so query syntax, SQL fragments and odd
Unicode are only text (issue 10 point 3).

How one input is looked up (all clauses in one `bool`, any may match):
- as a number, constant-scored far above any text score, so exact number hits come first: the
  compact and digits-only forms against every written form of organisation, VAT and tax numbers; the
  customer number exact, then as a prefix; a postal code;
- as a contact (nested, of the caller's office only): a phone in any form, an e-mail exact or as a
  prefix, a name or title as words and as prefixes;
- as words: BM25 over the name (weighted most) and everything else of the customer (`text`, every
  field copied into one), folded and transliterated; every word as a prefix
  (constant-scored edge n-grams on fields without norms or positions, cheap).
Typos are looked up only in a second request, made when the first finds nothing, and it holds nothing
but the typo-tolerant (fuzzy) clauses over names, contact names and cities: every other clause found
nothing a moment ago. Fuzzy clauses expand each word into its neighbours in the term dictionary; asked
with every clause of the first request and the highlighter working through their expansions, the second
request took 35-80 ms at a million customers (bench/search_scale.py), most of it highlighting. Words of
4-7 letters may have one typo, longer ones two (`AUTO:4,8`): short words have too many neighbours.
Highlights come from a query of their own (the words matched plainly on the shown fields), so neither
prefixes nor fuzzy expansions are worked through again for them.
Every query is filtered to the caller's office, global customers included; contacts count only when
they are the caller's office's own (a global customer's contacts belong to the office that added them).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Literal

from search.domain.numbers import compact, digits, looks_like_number, query_phone_forms

Sort = Literal["relevance", "name", "number", "updated"]

SORTS: dict[str, list[dict[str, Any]]] = {
    "relevance": [{"_score": {"order": "desc"}}, {"id": {"order": "asc"}}],
    "name": [{"name.sort": {"order": "asc", "missing": "_last"}}, {"id": {"order": "asc"}}],
    "number": [{"customer_number": {"order": "asc", "missing": "_last"}}, {"id": {"order": "asc"}}],
    "updated": [{"updated_at": {"order": "desc"}}, {"id": {"order": "asc"}}],
}

MAX_WORDS = 8
"""Words beyond these are ignored: a query stays a few dozen clauses whatever is pasted into it."""

_WORD = re.compile(r"\w+")
EXACT_NUMBER = 1000.0
NUMBER_PREFIX = 200.0
EXACT_CONTACT = 500.0

FACETS: dict[str, str] = {
    "category": "category_ids",
    "owner": "owner_id",
    "active": "active",
    "type": "type",
    "segment": "segment",
    "city": "cities",
    "country": "country",
}
"""Facet name → the document field it counts (and filters by)."""

TOTAL_COUNTED = 10_000
"""Without facets, matches are counted up to this many; the answer says when there are more."""

HIGHLIGHTED = ("name", "addresses.line1", "addresses.city", "category_names")
"""Fields whose matches are shown; not contacts (nested, and each office's own)."""

FUZZINESS = "AUTO:4,8"
"""Edits allowed per word in the typo-tolerant request: none under 4 letters, one up to 7, two from 8."""


@dataclass(frozen=True)
class Filters:
    category: list[str] = field(default_factory=list)
    owner: list[str] = field(default_factory=list)
    active: bool | None = None
    type: str | None = None
    segment: list[str] = field(default_factory=list)
    city: list[str] = field(default_factory=list)
    country: list[str] = field(default_factory=list)

    def clauses(self) -> list[dict[str, Any]]:
        chosen: list[dict[str, Any]] = []
        for name in ("category", "owner", "segment", "city", "country"):
            values = getattr(self, name)
            if values:
                chosen.append({"terms": {FACETS[name]: values}})
        if self.active is not None:
            chosen.append({"term": {"active": self.active}})
        if self.type is not None:
            chosen.append({"term": {"type": self.type}})
        return chosen


_SPELLED_OUT = re.compile(r"aa|ae|oe|[åæäøö]")
"""A spelled-out Nordic letter, or one that transliterates into one (so `Sjöberg` finds `Sjoeberg`)."""


@dataclass(frozen=True)
class Spellings:
    """Which spellings of a field a typed text is looked up in: folded always, transliterated (`å` as
    `aa`, `æ`/`ä` as `ae`, `ø`/`ö` as `oe`) only when the text's transliteration holds such a pair.

    Why: a word whose transliteration has no `aa`, `ae` or `oe` had no Nordic letter, so its folded form
    is the same word; a text whose transliteration has none therefore finds through the folded fields
    every customer the transliterated fields would find (as a prefix too). Leaving those clauses out
    took a fifth off a broad word's time at a million customers (a city: every clause walks its 50,000
    matches). A customer found through both spellings scored both; `weight` doubles the one spelling's
    boost, so the scores stay on the scale of the constant-scored number and contact clauses.
    """

    transliterated: bool

    @classmethod
    def of(cls, words: str) -> Spellings:
        return cls(transliterated=bool(_SPELLED_OUT.search(words.casefold())))

    @property
    def weight(self) -> int:
        return 1 if self.transliterated else 2

    def fields(self, field: str) -> list[str]:
        return [field, f"{field}.translit"] if self.transliterated else [field]

    def prefix_fields(self, field: str) -> list[str]:
        return [f"{field}.prefix", f"{field}.translit_prefix"] if self.transliterated else [f"{field}.prefix"]


def visible_to(office_id: str) -> dict[str, Any]:
    """The office's own customers and every global one."""
    return {
        "bool": {
            "should": [{"term": {"office_id": office_id}}, {"term": {"global": True}}],
            "minimum_should_match": 1,
        }
    }


def words_of(text: str) -> str:
    return " ".join(_WORD.findall(text)[:MAX_WORDS])


def _constant(query: dict[str, Any], boost: float) -> dict[str, Any]:
    return {"constant_score": {"filter": query, "boost": boost}}


def _all_words_as_prefixes(
    spellings: Spellings, field: str, words: str, boost: float
) -> list[dict[str, Any]]:
    """Every word a prefix of a word of `field` (its edge n-grams), in each spelling, at a constant score."""
    return [
        _constant({"match": {name: {"query": words, "operator": "and"}}}, boost * spellings.weight)
        for name in spellings.prefix_fields(field)
    ]


def number_clauses(text: str) -> list[dict[str, Any]]:
    clauses: list[dict[str, Any]] = []
    typed = text.strip().casefold()
    whole = compact(text)
    if typed and len(typed) <= 64:
        clauses.append(_constant({"term": {"customer_number": typed}}, EXACT_NUMBER))
        if " " not in typed:
            clauses.append(_constant({"prefix": {"customer_number": typed}}, NUMBER_PREFIX))
    if whole and len(whole) <= 64:
        clauses.append(_constant({"term": {"numbers": whole}}, EXACT_NUMBER))
        clauses.append(_constant({"term": {"postal_codes": whole}}, 20.0))
    if looks_like_number(text) and len(digits(text)) <= 64:
        clauses.append(_constant({"term": {"numbers": digits(text)}}, EXACT_NUMBER))
        clauses.append(_constant({"term": {"customer_number": digits(text)}}, EXACT_NUMBER))
    return clauses


def contact_clause(text: str, office_id: str) -> dict[str, Any] | None:
    """The customers with a contact of the caller's office matching `text`: phone in any form, e-mail
    exact or as a prefix, name or title as words and as prefixes. Only the office's own contacts: a
    global customer's contacts belong to the office that added them."""
    should: list[dict[str, Any]] = []
    if looks_like_number(text):
        phones = query_phone_forms(text)
        if phones:
            should.append(_constant({"terms": {"contacts.phones": phones}}, EXACT_CONTACT))
    typed = text.strip().casefold()
    if "@" in typed and " " not in typed and len(typed) <= 254:
        should.append(_constant({"term": {"contacts.email": typed}}, EXACT_CONTACT))
        should.append(_constant({"prefix": {"contacts.email": typed}}, 100.0))
    words = words_of(text)
    if words:
        spellings = Spellings.of(words)
        names = [f"{name}^{2 * spellings.weight}" for name in spellings.fields("contacts.name")]
        should.append(
            {
                "multi_match": {
                    "query": words,
                    "type": "most_fields",
                    "operator": "and",
                    "fields": [*names, "contacts.email.parts", "contacts.title"],
                }
            }
        )
        should += _all_words_as_prefixes(spellings, "contacts.name", words, 1.5)
    return _office_contacts(should, office_id) if should else None


def _office_contacts(should: list[dict[str, Any]], office_id: str) -> dict[str, Any]:
    query = {
        "bool": {
            "filter": [{"term": {"contacts.office_id": office_id}}],
            "should": should,
            "minimum_should_match": 1,
        }
    }
    return {"nested": {"path": "contacts", "score_mode": "max", "query": query}}


def _typo_tolerant(field: str, words: str, boost: float) -> dict[str, Any]:
    return {
        "match": {
            field: {
                "query": words,
                "operator": "and",
                "fuzziness": FUZZINESS,
                "prefix_length": 1,
                "boost": boost,
            }
        }
    }


def typo_query(text: str, office_id: str) -> dict[str, Any] | None:
    """The second request's scoring part: names, cities and the office's contact names with typos.
    Not over `text` (every field's words): its dictionary is the largest, and a fuzzy match over it
    took half of the request at 100,000 customers. Names are what people misspell; cities too."""
    words = words_of(text)
    if not words:
        return None
    clauses = [
        _typo_tolerant("name", words, 0.8),
        _typo_tolerant("addresses.city", words, 0.3),
        _office_contacts([_typo_tolerant("contacts.name", words, 0.5)], office_id),
    ]
    return {"bool": {"should": clauses, "minimum_should_match": 1}}


def word_clauses(words: str) -> list[dict[str, Any]]:
    if not words:
        return []
    spellings = Spellings.of(words)
    every_field = {"query": words, "type": "most_fields", "operator": "and"}
    return [
        {
            "multi_match": {
                **every_field,
                "fields": [f"{name}^{4 * spellings.weight}" for name in spellings.fields("name")],
            }
        },
        # Words anywhere else match at a constant score: BM25 over every field's words scored each of a
        # broad word's 30,000-120,000 matches (a city) for an order nobody reads, about a fifth of the
        # request at a million customers.
        _constant({"multi_match": {**every_field, "fields": spellings.fields("text")}}, 1.0),
        *_all_words_as_prefixes(spellings, "name", words, 3.0),
        *_all_words_as_prefixes(spellings, "text", words, 1.5),
    ]


def text_query(text: str, office_id: str, *, fuzzy: bool = False) -> dict[str, Any] | None:
    """The scoring part for a typed text (`fuzzy`: of the typo-tolerant second request); None when
    nothing in it can be looked up."""
    if fuzzy:
        return typo_query(text, office_id)
    clauses = [*number_clauses(text), *word_clauses(words_of(text))]
    contacts = contact_clause(text, office_id)
    if contacts is not None:
        clauses.append(contacts)
    if not clauses:
        return None
    return {"bool": {"should": clauses, "minimum_should_match": 1}}


def effective_sort(text: str | None, sort: Sort) -> Sort:
    """Without a text every score is equal: relevance then means by name."""
    return "name" if sort == "relevance" and not (text and text.strip()) else sort


def _scoring(text: str | None, office_id: str, fuzzy: bool) -> dict[str, Any]:
    if text and text.strip():
        return text_query(text, office_id, fuzzy=fuzzy) or {"match_none": {}}
    return {"match_all": {}}


def search_body(
    text: str | None,
    office_id: str,
    filters: Filters,
    *,
    sort: Sort,
    size: int,
    after: list[Any] | None,
    fuzzy: bool = False,
) -> dict[str, Any]:
    """The hits of `GET /v1/search/customers`; `fuzzy`: the typo-tolerant second request.

    Matches are counted up to TOTAL_COUNTED only, so OpenSearch may skip hits that cannot reach the
    page (block-max WAND): a broad word at a million customers answers several times faster. The exact
    count and the facets come from `facets_body`, asked beside it (the typo-tolerant request counts
    them itself: `counting_too`)."""
    body: dict[str, Any] = {
        "size": size,
        "track_total_hits": TOTAL_COUNTED,
        "query": {
            "bool": {
                "must": [_scoring(text, office_id, fuzzy)],
                "filter": [visible_to(office_id), *filters.clauses()],
            }
        },
        "sort": SORTS[effective_sort(text, sort)],
        "track_scores": True,
        "_source": ["id", "customer_number", "name", "active", "type", "city", "country"],
        "highlight": {
            "encoder": "html",
            "require_field_match": False,
            "number_of_fragments": 0,
            "fields": {name: {} for name in HIGHLIGHTED},
        },
    }
    words = words_of(text or "")
    if words:
        body["highlight"]["highlight_query"] = {
            "multi_match": {"query": words, "type": "best_fields", "fields": list(HIGHLIGHTED)}
        }
    if after is not None:
        body["search_after"] = after
    return body


def facets_body(text: str | None, office_id: str, filters: Filters) -> dict[str, Any]:
    """The exact count and the facets of the same matches, asked beside `search_body` in one
    multi-search, which OpenSearch runs on two threads at once.

    Why apart: in the hits request every match of a broad word was scored and then aggregated, one
    after the other; here the same query is a filter (no scores, its clauses cacheable) and the hits
    request may skip. At a million customers, asked in turn on the same texts with cold caches, the
    engine's p95 with facets went from 24.6-26.0 ms to 15.2-16.0 ms."""
    query = {
        "bool": {
            "filter": [_scoring(text, office_id, fuzzy=False), visible_to(office_id), *filters.clauses()]
        }
    }
    return {"size": 0, "track_total_hits": True, "query": query, "aggs": _facet_aggregations()}


def counting_too(hits: dict[str, Any]) -> dict[str, Any]:
    """The hits request that also counts its matches exactly and their facets: the typo-tolerant
    request's way. Its matches are few (its words matched nothing plainly) and expanding them into their
    neighbours in the term dictionary is what costs, so one request expands them once instead of two
    requests each expanding them. At a million customers, 30 misspelt names asked 4 times: median 13.9
    against 15.5 ms for the pair, p90 23.6 against 35.8 ms, and half the engine's work."""
    return {**hits, "track_total_hits": True, "aggs": _facet_aggregations()}


def page_requests(
    text: str | None,
    office_id: str,
    filters: Filters,
    *,
    sort: Sort,
    size: int,
    after: list[Any] | None,
    fuzzy: bool,
    facets: bool,
) -> list[dict[str, Any]]:
    """The requests of one page, for one multi-search: the hits first, then (with `facets`) what counts
    the matches and their facets. That is `facets_body` beside the hits, except in the typo-tolerant
    round, whose hits request counts them itself (`counting_too`): its last answer is the counted one."""
    hits = search_body(text, office_id, filters, sort=sort, size=size, after=after, fuzzy=fuzzy)
    if not facets:
        return [hits]
    if fuzzy:
        return [counting_too(hits)]
    return [hits, facets_body(text, office_id, filters)]


def _facet_aggregations() -> dict[str, Any]:
    return {name: {"terms": {"field": path, "size": 20}} for name, path in FACETS.items()}


def suggest_body(text: str, office_id: str, size: int) -> dict[str, Any]:
    """A few names for the search box: prefixes of names and customer numbers, nothing heavier."""
    words = words_of(text)
    should: list[dict[str, Any]] = []
    if words:
        should += [
            {"match": {name: {"query": words, "operator": "and"}}}
            for name in Spellings.of(words).prefix_fields("name")
        ]
        should.append({"match": {"name": {"query": words, "operator": "and", "boost": 2.0}}})
    typed = text.strip().casefold()
    if typed and " " not in typed and len(typed) <= 64:
        should.append(_constant({"prefix": {"customer_number": typed}}, 5.0))
    return {
        "size": size,
        "_source": ["id", "customer_number", "name", "active"],
        "query": {
            "bool": {
                "must": [{"bool": {"should": should or [{"match_none": {}}], "minimum_should_match": 1}}],
                "filter": [visible_to(office_id)],
            }
        },
        "sort": [{"_score": {"order": "desc"}}, {"name.sort": {"order": "asc"}}, {"id": {"order": "asc"}}],
    }
