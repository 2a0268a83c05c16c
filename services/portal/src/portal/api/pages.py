"""The portal's web pages under /portal/ (to come)."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI

from portal.config import Settings

router = APIRouter(prefix="/portal", include_in_schema=False)


def install(app: FastAPI, settings: Settings) -> None:
    del app, settings
