"""/healthz (the process is alive) and /readyz (it can do its work: database, broker, and more)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from typing import Literal

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy import text

from servicekit.runtime import ServiceRuntime

ReadinessCheck = Callable[[ServiceRuntime], Awaitable[None]]
"""Raises when what it checks is unreachable."""


async def database_reachable(runtime: ServiceRuntime) -> None:
    async with runtime.engine.connect() as connection:
        await connection.execute(text("SELECT 1"))


async def broker_reachable(runtime: ServiceRuntime) -> None:
    await runtime.bus.connection()


class Readiness(BaseModel):
    status: Literal["ready", "not ready"]
    checks: dict[str, str] = Field(description='Each dependency: "ok", or why it is unreachable.')


def health_router(extra_checks: Mapping[str, ReadinessCheck] | None = None) -> APIRouter:
    checks: dict[str, ReadinessCheck] = {"database": database_reachable, "broker": broker_reachable}
    checks.update(extra_checks or {})
    router = APIRouter(tags=["health"])

    @router.get("/healthz", summary="The process is alive")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @router.get(
        "/readyz",
        summary="Database, broker and other dependencies are reachable",
        response_model=Readiness,
        responses={
            503: {"description": "Something it needs is unreachable; `checks` says what.", "model": Readiness}
        },
    )
    async def readyz(request: Request) -> JSONResponse:
        runtime: ServiceRuntime = request.app.state.runtime
        results: dict[str, str] = {}
        for name, check in checks.items():
            try:
                async with asyncio.timeout(3):
                    await check(runtime)
                results[name] = "ok"
            except Exception as exc:
                results[name] = f"unreachable: {type(exc).__name__}: {exc}"[:300]
        ready = all(value == "ok" for value in results.values())
        return JSONResponse(
            {"status": "ready" if ready else "not ready", "checks": results}, 200 if ready else 503
        )

    return router
