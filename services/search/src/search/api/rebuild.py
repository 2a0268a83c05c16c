"""/v1/search/rebuild: an office admin rebuilds the search index without downtime (issue 10 point 5).

The rebuild covers every office (the index is one); it runs in the background: the POST answers 202 with
its progress as soon as the new index exists, and `GET /v1/search/rebuild` follows it.
"""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request

from search.adapters import repository
from search.adapters.opensearch import SearchUnavailable
from search.api.schemas import RebuildProgress
from search.service import rebuild
from servicekit.deps import Admin, RuntimeDep
from servicekit.openapi import responses
from servicekit.problems import Conflict, NotFound, ServiceUnavailable

router = APIRouter(prefix="/v1/search", tags=["search"])


async def _answer(runtime: RuntimeDep) -> RebuildProgress:
    found = await rebuild.progress(runtime.engine)
    if found is None:
        raise NotFound("No rebuild of the search index has run yet.")
    return RebuildProgress(
        state=found.state,
        target_index=found.target_index,
        started_at=found.started_at.isoformat(),
        finished_at=found.finished_at.isoformat() if found.finished_at else None,
        written=found.written,
        total=found.total,
        progress=found.ratio,
        error=found.error,
    )


@router.post(
    "/rebuild",
    status_code=202,
    response_model=RebuildProgress,
    responses=responses(403, 409, 503, success=(202,), etag=False),
)
async def start_rebuild(user: Admin, runtime: RuntimeDep, request: Request) -> RebuildProgress:
    """Build a new index from the customer and contact services while events keep flowing, then move the
    alias to it and delete the old one. 409 while a rebuild runs; 503 when OpenSearch does not answer."""
    app = request.app
    try:
        lock = await rebuild.claim(runtime.engine)
    except rebuild.RebuildRunning as exc:
        raise Conflict(str(exc)) from None
    job = rebuild.Rebuild(app.state.settings, runtime.engine, app.state.search_index, app.state.owner_client)
    try:
        await job.start(lock)
    except BaseException as exc:
        await repository.release_rebuild_lock(lock)
        if isinstance(exc, SearchUnavailable):
            raise ServiceUnavailable(f"the search index did not answer: {exc}"[:300]) from None
        raise
    task = asyncio.create_task(job.run(lock), name="search index rebuild")
    app.state.rebuild_tasks.add(task)
    task.add_done_callback(app.state.rebuild_tasks.discard)
    return await _answer(runtime)


@router.get("/rebuild", response_model=RebuildProgress, responses=responses(403, 404, etag=False))
async def rebuild_progress(user: Admin, runtime: RuntimeDep) -> RebuildProgress:
    """The latest rebuild's state and progress."""
    return await _answer(runtime)
