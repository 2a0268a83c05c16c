"""Where a service under test reads what is missing from its local copies (`servicekit.local_copies`).

In a test the owners of the copied aggregates are not at their configured URLs: `read_owners_through`
points the running app's lookups at in-process apps instead (the real owner service's app, or a
`StandInOwner` where a test needs to count reads, break the owner, or have it know nothing).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping

import httpx
from fastapi import FastAPI
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from servicekit.local_copies import LocalCopies
from servicekit.runtime import ServiceRuntime


async def read_owners_through(app: FastAPI, owners: Mapping[str, FastAPI]) -> None:
    """From now on the running `app` reads a missing customer or contact from the app given for the
    owner's base URL (e.g. ``{settings.customer_service_url: customer_app}``)."""
    runtime: ServiceRuntime = app.state.runtime
    mounts: dict[str, httpx.AsyncBaseTransport] = {
        url: httpx.ASGITransport(app=owner) for url, owner in owners.items()
    }
    before = runtime.copies
    runtime.copies = LocalCopies(runtime.settings, client=httpx.AsyncClient(mounts=mounts))
    await before.close()


class StandInOwner:
    """Answers `/internal/v1/{kind}s/{id}` as the owning service does, for the states given to it, and
    404 for any other. Counts the reads, so a test sees whether a copy was read through; `broken`
    makes it answer 500, as an owner that cannot answer."""

    def __init__(self, kind: str) -> None:
        self.states: dict[uuid.UUID, BaseModel] = {}
        self.reads: list[uuid.UUID] = []
        self.broken = False
        self.app = FastAPI()

        @self.app.get(f"/internal/v1/{kind}s/{{aggregate_id}}")
        async def read(aggregate_id: uuid.UUID) -> JSONResponse:
            self.reads.append(aggregate_id)
            if self.broken:
                return JSONResponse({"title": "Internal error", "status": 500}, status_code=500)
            state = self.states.get(aggregate_id)
            if state is None:
                return JSONResponse({"title": "Not found", "status": 404}, status_code=404)
            return JSONResponse(state.model_dump(mode="json", by_alias=True))
