"""/v1/settings: the caller's office's settings for the customer register."""

from __future__ import annotations

from dataclasses import asdict
from typing import Literal

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, StrictBool

from customer.adapters import settings_repository
from customer.domain.commands import SettingsChanges
from customer.domain.settings import MAX_NUMBER_LENGTH, OfficeSettings
from customer.service import settings as use_cases
from servicekit.api_fields import WholeNumber, not_null
from servicekit.deps import Admin, SessionDep, UnitOfWorkDep, Viewer
from servicekit.etag import IfMatch, etag_for, expected_version
from servicekit.openapi import responses
from servicekit.transactions import run_in_transaction

router = APIRouter(prefix="/v1/settings", tags=["settings"])


class SettingsOut(BaseModel):
    customer_numbering: Literal["auto", "manual"]
    customer_number_min_length: int
    customer_number_max_length: int
    organisation_number_mandatory: bool
    organisation_number_unique: bool
    version: int


class SettingsPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    customer_numbering: Literal["auto", "manual"] = not_null(
        description="auto: numbers drawn from a sequence; manual: typed in on create"
    )
    customer_number_min_length: WholeNumber = not_null(ge=1, le=MAX_NUMBER_LENGTH)
    customer_number_max_length: WholeNumber = not_null(ge=1, le=MAX_NUMBER_LENGTH)
    organisation_number_mandatory: StrictBool = not_null(
        description="Companies must have one (never applies to private customers)."
    )
    organisation_number_unique: StrictBool = not_null(
        description="No two customers of the office share one; blanks are allowed unless mandatory."
    )

    def changes(self) -> SettingsChanges:
        return SettingsChanges(**{name: getattr(self, name) for name in self.model_fields_set})


def _answer(settings: OfficeSettings) -> JSONResponse:
    body = SettingsOut.model_validate(asdict(settings)).model_dump()
    return JSONResponse(body, headers={"ETag": etag_for(settings.version)})


@router.get("", response_model=SettingsOut, responses=responses(403))
async def get_settings(user: Viewer, session: SessionDep) -> JSONResponse:
    return _answer(await settings_repository.get(session, user.office_id))


@router.patch("", response_model=SettingsOut, responses=responses(400, 403, 412, 422))
async def update_settings(
    body: SettingsPatch, user: Admin, uow: UnitOfWorkDep, if_match: IfMatch = None
) -> JSONResponse:
    """Office admins only. Null is not a value here: send only the settings to change."""
    changes, version = body.changes(), expected_version(if_match, required=False)
    settings = await run_in_transaction(
        uow, lambda uow: use_cases.update_settings(uow, user, changes, version)
    )
    return _answer(settings)
