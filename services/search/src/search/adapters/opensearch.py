"""OpenSearch through opensearch-py's async client: the index behind its alias, bulk writes, searches.

Rule: every call that fails because OpenSearch cannot answer (connection refused, timeout, 429, 5xx)
raises `SearchUnavailable`; an answer OpenSearch gives about a request (400 bad query, a document it
refuses) is returned to the caller, who decides.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import orjson
from opensearchpy import AsyncOpenSearch
from opensearchpy.exceptions import ConnectionError as OpenSearchConnectionError
from opensearchpy.exceptions import RequestError, TransportError
from opensearchpy.serializer import JSONSerializer

from search.adapters.index_definition import MAPPING_VERSION, index_body
from search.config import Settings

log = logging.getLogger(__name__)


class FastJsonSerializer(JSONSerializer):
    """opensearch-py's serializer with orjson: a search's two query bodies took 130 µs to write with
    the standard library and take 8 µs; the answers and the consumer's bulk bodies gain alike."""

    def dumps(self, data: Any) -> str:
        if isinstance(data, str):
            return data
        return orjson.dumps(data, default=self.default).decode()

    def loads(self, s: str) -> Any:
        return orjson.loads(s)


class SearchUnavailable(Exception):
    """OpenSearch did not answer (down, overloaded, unreachable)."""


class BadSearchRequest(Exception):
    """OpenSearch refused a request as malformed (a 400): a cursor of another sort, for one."""


def _unavailable(exc: Exception) -> bool:
    if isinstance(exc, OpenSearchConnectionError):
        return True
    if isinstance(exc, TransportError):
        status = exc.status_code
        return not isinstance(status, int) or status == 429 or status >= 500
    return False


def next_version(alias: str, indices: Any) -> int:
    """The version after the highest `<alias>-v<n>` among these index names (the first is MAPPING_VERSION)."""
    versions = [MAPPING_VERSION - 1]
    prefix = f"{alias}-v"
    for name in indices:
        if name.startswith(prefix) and name[len(prefix) :].isdigit():
            versions.append(int(name[len(prefix) :]))
    return max(versions) + 1


class SearchIndex:
    """The customer index of one deployment: its alias `<prefix>-customers` and the versioned index behind."""

    def __init__(self, settings: Settings, client: AsyncOpenSearch | None = None) -> None:
        self.settings = settings
        self.alias = f"{settings.search_index_prefix}-customers"
        self.index = f"{self.alias}-v{MAPPING_VERSION}"
        self._client = client
        self._ready = False

    @property
    def client(self) -> AsyncOpenSearch:
        # Made on first use, inside the running event loop (aiohttp needs one).
        if self._client is None:
            self._client = AsyncOpenSearch(
                hosts=[self.settings.opensearch_url],
                serializer=FastJsonSerializer(),
                timeout=self.settings.opensearch_timeout_s,
                max_retries=0,
                retry_on_timeout=False,
            )
        return self._client

    async def close(self) -> None:
        if self._client is not None:
            await self._client.close()
            self._client = None

    async def call(self, method: str, **kwargs: Any) -> Any:
        """One client call, its failures sorted into `SearchUnavailable` and `BadSearchRequest`."""
        target: Any = self.client
        for part in method.split("."):
            target = getattr(target, part)
        try:
            return await target(**kwargs)
        except RequestError as exc:
            raise BadSearchRequest(str(exc.info)[:500]) from exc
        except (TransportError, OpenSearchConnectionError) as exc:
            if _unavailable(exc):
                raise SearchUnavailable(f"{type(exc).__name__}: {exc}"[:500]) from exc
            raise

    async def ensure(self) -> None:
        """Create the versioned index with the alias on it, unless the alias exists already."""
        if self._ready:
            return
        if not await self.call("indices.exists_alias", name=self.alias):
            body = index_body(
                shards=self.settings.search_shards,
                replicas=self.settings.search_replicas,
                refresh_interval=self.settings.search_refresh_interval,
                alias=self.alias,
            )
            try:
                await self.call("indices.create", index=self.index, body=body)
                log.info("created index %s behind alias %s", self.index, self.alias)
            except BadSearchRequest as exc:
                if "resource_already_exists_exception" not in str(exc):
                    raise
        self._ready = True

    async def bulk(self, actions: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
        """One bulk request; each action's result (`{"index"|"delete": {...}}`) in order."""
        await self.ensure()
        answer = await self.call("bulk", body=list(actions))
        items: list[dict[str, Any]] = answer["items"]
        return items

    async def search(self, body: dict[str, Any], **params: Any) -> dict[str, Any]:
        await self.ensure()
        answer: dict[str, Any] = await self.call("search", index=self.alias, body=body, **params)
        return answer

    async def search_many(self, bodies: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
        """Several searches in one multi-search request, their answers in order. One refused as
        malformed raises `BadSearchRequest`; one OpenSearch could not answer, `SearchUnavailable`."""
        await self.ensure()
        lines: list[dict[str, Any]] = []
        for body in bodies:
            lines += [{"index": self.alias}, body]
        answer = await self.call("msearch", body=lines)
        answers: list[dict[str, Any]] = answer["responses"]
        for one in answers:
            if "error" in one:
                status = one.get("status", 500)
                if status == 400:
                    raise BadSearchRequest(str(one["error"])[:500])
                raise SearchUnavailable(f"search failed with {status}: {one['error']}"[:500])
        return answers

    async def refresh(self) -> None:
        await self.ensure()
        await self.call("indices.refresh", index=self.alias)

    async def ping(self) -> None:
        await self.call("cluster.health")

    async def indices_behind(self) -> list[str]:
        """The versioned indices the alias points at (one, except for a moment during a swap)."""
        if not await self.call("indices.exists_alias", name=self.alias):
            return []
        answer = await self.call("indices.get_alias", name=self.alias)
        return sorted(answer)

    async def next_index_name(self) -> str:
        """`<alias>-v<n+1>`, n the highest version of any index of this alias (behind it or not)."""
        answer = await self.call(
            "indices.get", index=f"{self.alias}-v*", params={"ignore_unavailable": "true"}
        )
        return f"{self.alias}-v{next_version(self.alias, answer)}"

    async def create_index(self, name: str) -> None:
        """A new versioned index with the same definition, not yet behind the alias."""
        body = index_body(
            shards=self.settings.search_shards,
            replicas=self.settings.search_replicas,
            refresh_interval=self.settings.search_refresh_interval,
            alias=None,
        )
        await self.call("indices.create", index=name, body=body)

    async def move_alias(self, old: Sequence[str], new: str) -> None:
        """Point the alias at `new` only, in one atomic request: a search never finds no index."""
        actions: list[dict[str, Any]] = [{"remove": {"index": name, "alias": self.alias}} for name in old]
        actions.append({"add": {"index": new, "alias": self.alias}})
        await self.call("indices.update_aliases", body={"actions": actions})

    async def delete_index(self, name: str) -> None:
        await self.call("indices.delete", index=name, params={"ignore_unavailable": "true"})

    async def drop(self) -> None:
        """Remove the index and its alias (tests, and after a rebuild moved the alias)."""
        await self.call("indices.delete", index=f"{self.alias}-v*", params={"ignore_unavailable": "true"})
        self._ready = False
