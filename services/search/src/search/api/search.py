"""/v1/search/customers and /v1/search/suggest: staff find customers of their office (and global ones)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request

from search.adapters import repository
from search.adapters.opensearch import SearchIndex, SearchUnavailable
from search.api.schemas import CustomerSearch, Suggestions
from search.service import searching
from search.service.queries import Filters
from servicekit.deps import RuntimeDep, Viewer
from servicekit.openapi import responses
from servicekit.pagination import CursorQuery
from servicekit.problems import ServiceUnavailable

router = APIRouter(prefix="/v1/search", tags=["search"])


async def get_index(request: Request) -> SearchIndex:
    index: SearchIndex = request.app.state.search_index
    return index


IndexDep = Annotated[SearchIndex, Depends(get_index)]
Text = Annotated[
    str | None, Query(max_length=200, description="Anything typed: words, numbers, an e-mail, a phone.")
]
Values = Annotated[list[str] | None, Query(max_length=20)]


def _unavailable(exc: SearchUnavailable) -> ServiceUnavailable:
    return ServiceUnavailable(f"the search index did not answer: {exc}"[:300])


@router.get("/customers", response_model=CustomerSearch, responses=responses(403, 422, 503, etag=False))
async def search_customers(
    user: Viewer,
    index: IndexDep,
    runtime: RuntimeDep,
    q: Text = None,
    category: Values = None,
    owner: Values = None,
    active: bool | None = None,
    type: Literal["company", "private"] | None = None,
    segment: Values = None,
    city: Values = None,
    country: Values = None,
    sort: Literal["relevance", "name", "number", "updated"] = "relevance",
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: CursorQuery = None,
    facets: Annotated[
        bool,
        Query(
            description="Count each filter's values among the matches. Costs time on broad searches "
            "of a large register; a search box that shows only the hits asks with `false`."
        ),
    ] = True,
) -> CustomerSearch:
    """Customers of your office and global ones matching `q` in any field: name (typos, prefixes, Nordic
    letters in any spelling), customer, organisation or VAT number in any written form, address, contact
    name, e-mail or phone. Exact number hits come first. Inactive customers are found, with
    `active: false`. Without `q`, every customer matching the filters, by name."""
    filters = Filters(
        category=category or [],
        owner=owner or [],
        active=active,
        type=type,
        segment=segment or [],
        city=city or [],
        country=country or [],
    )

    async def category_names(ids: list[str]) -> dict[str, str]:
        async with runtime.session_factory() as session:
            return await repository.office_category_names(session, user.office_id, ids)

    try:
        found = await searching.search_customers(
            index,
            user.office_id,
            q,
            filters,
            sort=sort,
            limit=limit,
            cursor=cursor,
            category_names=category_names,
            facets=facets,
        )
    except SearchUnavailable as exc:
        raise _unavailable(exc) from None
    return CustomerSearch.model_validate(
        {
            "items": found.items,
            "total": found.total,
            "total_exact": found.total_exact,
            "facets": found.facets,
            "next": found.next,
        }
    )


@router.get("/suggest", response_model=Suggestions, responses=responses(403, 422, 503, etag=False))
async def suggest(
    user: Viewer,
    index: IndexDep,
    q: Annotated[str, Query(max_length=100, description="What is typed so far.")],
    limit: Annotated[int, Query(ge=1, le=10)] = 5,
) -> Suggestions:
    """A few customer names for the search box, by the prefixes typed so far (fast)."""
    try:
        return Suggestions.model_validate({"items": await searching.suggest(index, user.office_id, q, limit)})
    except SearchUnavailable as exc:
        raise _unavailable(exc) from None
