"""/v1/settings: the caller's office's settings for the customer register."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Header
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from customer.adapters import settings_repository
from customer.domain.settings import MAX_NUMBER_LENGTH, OfficeSettings
from customer.service import settings as use_cases
from servicekit.auth import Permission, Principal
from servicekit.deps import SessionDep, UnitOfWorkDep, require
from servicekit.etag import etag_for, expected_version

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

    customer_numbering: Literal["auto", "manual"] | None = Field(
        default=None, description="auto: numbers drawn from a sequence; manual: typed in on create"
    )
    customer_number_min_length: int | None = Field(default=None, ge=1, le=MAX_NUMBER_LENGTH)
    customer_number_max_length: int | None = Field(default=None, ge=1, le=MAX_NUMBER_LENGTH)
    organisation_number_mandatory: bool | None = Field(
        default=None, description="Companies must have one (never applies to private customers)."
    )
    organisation_number_unique: bool | None = Field(
        default=None,
        description="No two customers of the office share one; blanks are allowed unless mandatory.",
    )


def _answer(settings: OfficeSettings) -> JSONResponse:
    body = SettingsOut.model_validate(asdict(settings)).model_dump()
    return JSONResponse(body, headers={"ETag": etag_for(settings.version)})


@router.get("", response_model=SettingsOut)
async def get_settings(
    user: Annotated[Principal, Depends(require(Permission.VIEW))], session: SessionDep
) -> JSONResponse:
    assert user.office_id is not None
    return _answer(await settings_repository.get(session, user.office_id))


@router.patch("", response_model=SettingsOut)
async def update_settings(
    body: SettingsPatch,
    user: Annotated[Principal, Depends(require(Permission.ADMINISTER_OFFICE))],
    uow: UnitOfWorkDep,
    if_match: Annotated[str | None, Header()] = None,
) -> JSONResponse:
    """Office admins only. Null is not a value here: send only the settings to change."""
    changes = {
        name: value for name, value in body.model_dump(exclude_unset=True).items() if value is not None
    }
    version = expected_version(if_match, required=False)
    return _answer(await use_cases.update_settings(uow, user, changes, version))
