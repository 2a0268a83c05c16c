"""Category events (SPEC §3): each carries the full state of the category after the change.

Categories are defined per office. The search service keeps their names to filter and facet by them.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from contracts.envelope import EventPayload


class CategoryState(BaseModel):
    """A category of an office, as the customer service holds it."""

    model_config = ConfigDict(extra="forbid")

    id: uuid.UUID
    office_id: str
    name: str = Field(min_length=1, max_length=100)
    active: bool = Field(description="An inactive category stays on the customers that have it.")
    created_at: datetime
    created_by: str
    updated_at: datetime
    updated_by: str
    version: int = Field(ge=1)


class CategoryCreated(EventPayload):
    """A category was defined in an office."""

    event_type = "category.created"
    category: CategoryState


class CategoryUpdated(EventPayload):
    """A category was renamed."""

    event_type = "category.updated"
    category: CategoryState


class CategoryDeactivated(EventPayload):
    """A category can no longer be given to customers; those that have it keep it."""

    event_type = "category.deactivated"
    category: CategoryState


class CategoryReactivated(EventPayload):
    """A deactivated category can be given to customers again."""

    event_type = "category.reactivated"
    category: CategoryState


class CategoryDeleted(EventPayload):
    """A category no customer had was deleted."""

    event_type = "category.deleted"
    category: CategoryState = Field(description="The last state before deletion.")


CATEGORY_EVENTS: tuple[type[EventPayload], ...] = (
    CategoryCreated,
    CategoryUpdated,
    CategoryDeactivated,
    CategoryReactivated,
    CategoryDeleted,
)
