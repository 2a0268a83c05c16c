"""What the search API answers."""

from __future__ import annotations

from pydantic import BaseModel, Field


class CustomerHit(BaseModel):
    id: str
    customer_number: str | None
    name: str
    active: bool = Field(description="False for an inactive customer: found, and marked.")
    type: str
    city: str | None = Field(description="The headquarters' city.")
    country: str | None
    score: float
    highlight: dict[str, list[str]] = Field(
        description="Per field, the matched text with the hits in `<em>`; the rest HTML-escaped."
    )


class FacetValue(BaseModel):
    value: str
    label: str | None = Field(default=None, description="The category's name, for the `category` facet.")
    count: int


class CustomerSearch(BaseModel):
    items: list[CustomerHit]
    total: int = Field(description="How many customers match, on all pages (see `total_exact`).")
    total_exact: bool = Field(
        description="False when asked without facets and more than 10,000 match: `total` is then "
        "10,000 and means at least that many."
    )
    facets: dict[str, list[FacetValue]] = Field(
        description="Per filter (category, owner, active, type, segment, city, country), its values "
        "among the matches, most frequent first, with counts; empty when asked with `facets=false`."
    )
    next: str | None = Field(description="Pass as `cursor` for the next page; null on the last.")


class Suggestion(BaseModel):
    id: str
    name: str
    customer_number: str | None
    active: bool


class Suggestions(BaseModel):
    items: list[Suggestion]


class RebuildProgress(BaseModel):
    state: str = Field(
        description="`running`, `done`, `failed`, or `interrupted` (its process died; start another)."
    )
    target_index: str | None = Field(description="The index being filled while running.")
    started_at: str
    finished_at: str | None
    written: int = Field(description="Customer documents written to the new index so far.")
    total: int = Field(description="Estimated documents to write (the old index's count), exact when done.")
    progress: float = Field(description="written / total, 1 when done.")
    error: str | None
