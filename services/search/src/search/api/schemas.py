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
    total: int = Field(description="How many customers match, on all pages.")
    facets: dict[str, list[FacetValue]] = Field(
        description="Per filter (category, owner, active, type, segment, city, country), its values "
        "among the matches, most frequent first, with counts."
    )
    next: str | None = Field(description="Pass as `cursor` for the next page; null on the last.")


class Suggestion(BaseModel):
    id: str
    name: str
    customer_number: str | None
    active: bool


class Suggestions(BaseModel):
    items: list[Suggestion]
