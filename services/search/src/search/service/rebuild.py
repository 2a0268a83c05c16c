"""Rebuilding the index without downtime (issue 10 point 5): a new versioned index is filled from the
customer and contact services' bulk reads while live events keep flowing, then the alias moves to it in
one request and the old index is deleted.

How no event is lost across the swap:
1. Starting: with the rebuild gate held exclusively (`repository.close_rebuild_gate`), the new index is
   named in the `search_rebuild` row. Every consumed batch passes the gate shared and reads that row, so
   each batch either committed before the rebuild started (and is in the kept states the copy reads), or
   writes its documents to the new index as well as to the alias.
2. Copying: every contact, then every customer of the bulk reads is kept in the search database the way
   events are (version-guarded: a newer state an event brought wins, an older bulk state changes nothing),
   and each page of customers' documents is built from the kept states with their rows locked and written
   to the new index only, with the same external versions. A batch and a page touching one customer are
   thus serialised by the row lock, and the later one writes the later state.
   A kept contact that the contact read does not return, although its id lies in the range a page
   covered (pages are in id order), was deleted at the source and its event lost: it is marked deleted,
   so the new index holds exactly the source's contacts. Unless it changed less than `IN_FLIGHT` before
   the page was read: it may be a create whose transaction had not committed yet when the owner read
   (its event then reached us before the page did), and a later rebuild settles it.
3. Swapping: with the gate held exclusively again (no batch in flight), the alias moves from the old index
   to the new one and the row forgets the new index; then the old index is deleted.

Categories have no bulk read: a rebuild uses the categories the service kept from `category.*` events.
Only one rebuild runs at a time: it holds a session-level advisory lock on its own connection.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from prometheus_client import Gauge
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from search.adapters import repository
from search.adapters.opensearch import SearchIndex
from search.config import Settings
from search.service.indexing import document_actions
from servicekit.auth import issue_service_token

log = logging.getLogger(__name__)

PAGE = 500
IN_FLIGHT = timedelta(minutes=1)
"""Longer than any owner's transaction lasts (requests time out well before)."""
PROGRESS = Gauge(
    "search_rebuild_progress", "Share of documents a running rebuild has written (0..1)", ["service"]
)
WRITTEN = Gauge("search_rebuild_documents_written", "Documents the current rebuild has written", ["service"])


@dataclass(frozen=True)
class Page:
    """One page of an owner's bulk read: the ids in (after, next_after], all of them when next_after is
    None (the last page)."""

    items: list[dict[str, Any]]
    after: str | None
    next_after: str | None
    read_at: datetime
    """When we asked for it (before the owner read it)."""


class RebuildRunning(Exception):
    """Another rebuild holds the lock."""


class SourceUnavailable(Exception):
    """A bulk read failed: the customer or contact service did not answer as it should."""


@dataclass(frozen=True)
class Progress:
    state: str
    target_index: str | None
    started_at: datetime
    finished_at: datetime | None
    written: int
    total: int
    error: str | None

    @property
    def ratio(self) -> float:
        return progress_ratio(self.written, self.total, done=self.state == "done")


def progress_ratio(written: int, total: int, *, done: bool) -> float:
    """Written / total, where total is only an estimate (the old index's count): never above 1 before the
    end, exactly 1 when done."""
    if done:
        return 1.0
    if total <= 0:
        return 0.0
    return min(written / total, 0.99)


async def progress(engine: AsyncEngine) -> Progress | None:
    async with engine.connect() as connection:
        row = await repository.rebuild_row(connection)
    if row is None:
        return None
    return Progress(
        state="interrupted" if row.state == "running" and not row.alive else row.state,
        target_index=row.target_index,
        started_at=row.started_at,
        finished_at=row.finished_at,
        written=row.written,
        total=row.total,
        error=row.error,
    )


async def claim(engine: AsyncEngine) -> AsyncConnection:
    """The connection holding the one-rebuild-at-a-time lock; `RebuildRunning` when another has it."""
    connection = await repository.hold_rebuild_lock(engine)
    if connection is None:
        raise RebuildRunning("a rebuild of the search index is running already")
    return connection


class Rebuild:
    def __init__(
        self, settings: Settings, engine: AsyncEngine, index: SearchIndex, client: httpx.AsyncClient
    ) -> None:
        self.settings = settings
        self.engine = engine
        self.index = index
        self.client = client
        self.service = settings.service_name

    async def start(self, lock: AsyncConnection) -> None:
        """Name the new index in the row (gate held exclusively); forget a crashed rebuild's leftover."""
        await self.index.ensure()
        async with self.engine.begin() as connection:
            leftover = await repository.rebuild_row(connection)
            if leftover is not None and leftover.state == "running" and leftover.target_index:
                await self.index.delete_index(leftover.target_index)
        self.old = await self.index.indices_behind()
        self.target = await self.index.next_index_name()
        await self.index.create_index(self.target)
        total = 0
        for name in self.old:
            total += int((await self.index.call("count", index=name))["count"])
        async with self.engine.begin() as connection:
            await repository.close_rebuild_gate(connection)
            await repository.save_rebuild(
                connection,
                state="running",
                target_index=self.target,
                started_at=datetime.now(UTC),
                finished_at=None,
                written=0,
                total=total,
                error=None,
            )
        self.total = total
        self.written = 0
        PROGRESS.labels(self.service).set(0)
        WRITTEN.labels(self.service).set(0)

    async def run(self, lock: AsyncConnection) -> None:
        """The whole rebuild; the lock connection is released at the end, whatever happens."""
        try:
            await self._copy_and_swap()
        except BaseException as exc:
            log.exception("the index rebuild failed")
            async with self.engine.begin() as connection:
                # Gate held: no batch that still names the new index is in flight once this commits, so
                # deleting the unfinished index next never races a batch writing to it.
                await repository.close_rebuild_gate(connection)
                await repository.update_rebuild(connection, target_index=None)
            if getattr(self, "target", None):
                try:
                    # Unless the alias moved already (only deleting the old index failed).
                    if self.target not in await self.index.indices_behind():
                        await self.index.delete_index(self.target)
                except Exception:
                    log.warning("could not delete the unfinished index %s", self.target)
            await self._finish("failed", f"{type(exc).__name__}: {exc}"[:500])
            if not isinstance(exc, Exception):
                raise
        finally:
            await repository.release_rebuild_lock(lock)

    async def _copy_and_swap(self) -> None:
        async for page in self._pages(self.settings.contact_service_url, "contacts"):
            await self._in_transaction(self._keep_contacts, page)
        async for page in self._pages(self.settings.customer_service_url, "customers"):
            await self._in_transaction(self._keep_and_index_customers, page)
        await self.index.call("indices.refresh", index=self.target)
        async with self.engine.begin() as connection:
            await repository.close_rebuild_gate(connection)
            await self.index.move_alias(self.old, self.target)
            await repository.update_rebuild(connection, target_index=None)
        for name in self.old:
            await self.index.delete_index(name)
        self.total = self.written
        await self._finish("done", None)
        log.info("rebuilt the index %s: %d documents; deleted %s", self.target, self.written, self.old)

    async def _finish(self, state: str, error: str | None) -> None:
        async with self.engine.begin() as connection:
            await repository.update_rebuild(
                connection,
                state=state,
                target_index=None,
                finished_at=datetime.now(UTC),
                written=getattr(self, "written", 0),
                total=getattr(self, "total", 0),
                error=error,
            )
        PROGRESS.labels(self.service).set(1.0 if state == "done" else 0.0)

    async def _pages(self, base_url: str, kind: str) -> AsyncIterator[Page]:
        token = issue_service_token(self.settings, self.service)
        after: str | None = None
        while True:
            read_at = datetime.now(UTC)
            params: dict[str, Any] = {"limit": PAGE}
            if after is not None:
                params["after"] = after
            try:
                response = await self.client.get(
                    f"{base_url}/internal/v1/{kind}",
                    params=params,
                    headers={"Authorization": f"Bearer {token}"},
                )
            except httpx.HTTPError as exc:
                raise SourceUnavailable(f"the {kind} bulk read at {base_url} failed: {exc!r}") from exc
            if response.status_code != 200:
                raise SourceUnavailable(f"the {kind} bulk read at {base_url} answered {response.status_code}")
            body = response.json()
            yield Page(body["items"], after, body["next_after"], read_at)
            after = body["next_after"]
            if after is None:
                return

    async def _in_transaction(
        self, step: Callable[[AsyncConnection, Page], Awaitable[None]], page: Page
    ) -> None:
        # A live batch upserting the same rows in another order may deadlock with a page: try it again.
        for attempt in range(5):
            try:
                async with self.engine.begin() as connection:
                    await step(connection, page)
                return
            except DBAPIError as exc:
                if "deadlock" not in str(exc) or attempt == 4:
                    raise
                await asyncio.sleep(0.05 * (attempt + 1))

    async def _keep_contacts(self, connection: AsyncConnection, page: Page) -> None:
        for state in page.items:
            await repository.keep_contact(connection, state, version=state["version"], deleted=False)
        await repository.forget_missing_contacts(
            connection,
            after=uuid.UUID(page.after) if page.after else None,
            through=uuid.UUID(page.next_after) if page.next_after else None,
            present=[uuid.UUID(state["id"]) for state in page.items],
            changed_before=page.read_at - IN_FLIGHT,
        )

    async def _keep_and_index_customers(self, connection: AsyncConnection, page: Page) -> None:
        for state in page.items:
            await repository.keep_customer(connection, state, version=state["version"], deleted=False)
        ids = [uuid.UUID(state["id"]) for state in page.items]
        actions = await document_actions(connection, self.target, ids)
        if actions:
            results = await self.index.bulk(actions)
            refused = [
                answer
                for result in results
                for answer in result.values()
                if answer.get("status", 500) >= 300 and answer.get("status") not in (404, 409)
            ]
            if refused:
                raise RuntimeError(f"OpenSearch refused {len(refused)} documents, first: {refused[0]}")
        self.written += sum(1 for action in actions if list(action) == ["index"])
        await repository.update_rebuild(connection, written=self.written, total=max(self.total, self.written))
        PROGRESS.labels(self.service).set(progress_ratio(self.written, self.total, done=False))
        WRITTEN.labels(self.service).set(self.written)
