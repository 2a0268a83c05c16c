"""The contact API's JSON shapes (SPEC §4 field names), and their translation into commands.

Requests: every field may be left out of a PATCH, and a field that cannot be empty (the names, the lists
and maps, the flags) may not be sent as null either: the schema says so, and a null there is a 422 naming
it. Booleans must be JSON booleans. Lists and maps have a documented maximum size (`MAX_*`). Email and
phone are checked by the service (`contact.domain.reachability`); blank means none. The answer model is
the contract's `ContactState` plus whether the customer is active, so a field is written once for events
and answers alike.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StringConstraints

from contact.domain.commands import ContactDetails
from contact.domain.contact import ContactAndCustomer, as_json
from contracts.contact import ContactState
from servicekit.api_fields import NOT_BLANK, not_null

MAX_ROLES = 20
MAX_KEYWORDS = 50
MAX_EXTERNAL_IDS = 20

Name = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200, pattern=NOT_BLANK)
]
Title = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200, pattern=NOT_BLANK)
]
Tag = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=50, pattern=NOT_BLANK)]
Email = Annotated[str, StringConstraints(strip_whitespace=True, max_length=254)]
Phone = Annotated[str, StringConstraints(strip_whitespace=True, max_length=50)]
LanguageCode = Annotated[
    str, StringConstraints(strip_whitespace=True, pattern=r"^[a-z]{2,3}(-[A-Za-z]{2})?$")
]
SystemName = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[a-z][a-z0-9_-]{0,39}$")]
ExternalId = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=50, pattern=NOT_BLANK)
]


class _ContactFields(BaseModel):
    """Every field a client may send; what is required differs for create and patch."""

    model_config = ConfigDict(extra="forbid")

    email: Email | None = Field(default=None, description="Checked and normalised; blank is none.")
    phone: Phone | None = Field(
        default=None,
        description="As written: national (read in the customer's country), +47 … or 0047 …; answered in "
        "E.164. Blank is none.",
    )
    title: Title | None = Field(default=None, description="Job title, e.g. Head of Procurement")
    roles: list[Tag] = not_null(
        max_length=MAX_ROLES, description="e.g. buyer, decision_maker, technical, invoice_recipient"
    )
    keywords: list[Tag] = not_null(max_length=MAX_KEYWORDS, description="Free tags, e.g. for mailing lists.")
    main: StrictBool = not_null(
        description="The customer's main contact; making one main takes the mark from the previous one."
    )
    receives_service_reports: StrictBool = not_null(description="Sent by email: needs an email address.")
    receives_work_orders: StrictBool = not_null(description="Sent by email: needs an email address.")
    language: LanguageCode | None = Field(default=None, description="e.g. nb, sv, en-GB")
    external_ids: dict[SystemName, ExternalId | None] = not_null(
        max_length=MAX_EXTERNAL_IDS,
        # pydantic states the key pattern as patternProperties, which lets any other key through.
        schema={"additionalProperties": False},
        description='System name → id there, e.g. {"erp": "10042"}; unique per office and system. On PATCH '
        "only the systems sent change, and null removes one.",
    )

    def details(self) -> ContactDetails:
        """The fields the client sent, in the domain's types; the rest NOT_SENT."""
        values: dict[str, Any] = {}
        for name in self.model_fields_set - {"customer_id"}:
            value = getattr(self, name)
            values[name] = tuple(value) if name in ("roles", "keywords") else value
        return ContactDetails(**values)


class ContactCreate(_ContactFields):
    """A new contact of a customer of your office (or a global one)."""

    customer_id: uuid.UUID
    first_name: Name
    last_name: Name


class ContactPatch(_ContactFields):
    """Only the fields to change; null clears a field that may be empty. A contact stays with its customer;
    `active` changes through deactivate / reactivate."""

    first_name: Name = not_null()
    last_name: Name = not_null()


class ContactOut(ContactState):
    """The contact as the API answers it: its event state, and whether its customer is active."""

    customer_active: bool = Field(
        description="false when the customer is inactive (it keeps and still takes contacts)."
    )

    @classmethod
    def of(cls, found: ContactAndCustomer) -> ContactOut:
        return cls.model_validate({**as_json(found.contact), "customer_active": found.customer_active})
