"""`crm reindex`: starts the search index rebuild as an office admin, shows its progress to the end, and
says in one line, without a traceback, when the search service is down or refuses."""

from __future__ import annotations

import asyncio
import socket
from typing import Any

import httpx
from typer.testing import CliRunner

from crm import cli
from servicekit.auth import OfficeUser, TokenVerifier
from servicekit.settings import JwtSettings

runner = CliRunner()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_a_search_service_that_is_down_is_named_in_one_line():
    url = f"http://127.0.0.1:{_free_port()}"
    result = runner.invoke(cli.app, ["reindex", "--url", url])
    assert result.exit_code == 1
    assert f"the search service at {url} did not answer" in result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def _search_service(
    answers: list[tuple[int, dict[str, Any]]], seen: list[httpx.Request]
) -> httpx.MockTransport:
    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        status, body = answers.pop(0)
        return httpx.Response(status, json=body)

    return httpx.MockTransport(handle)


def _state(state: str, written: int, total: int) -> dict[str, Any]:
    return {"state": state, "written": written, "total": total, "error": None}


def test_the_rebuild_is_asked_for_as_office_admin_and_followed_to_its_end(monkeypatch):
    seen: list[httpx.Request] = []
    answers = [(202, _state("running", 0, 4)), (200, _state("running", 2, 4)), (200, _state("done", 5, 5))]
    real_client = httpx.Client

    def client(**options: Any) -> httpx.Client:
        return real_client(transport=_search_service(answers, seen), **options)

    monkeypatch.setattr(cli.httpx, "Client", client)
    result = runner.invoke(cli.app, ["reindex", "--office", "office-7", "--every", "0.05"])
    assert result.exit_code == 0, result.output
    assert "rebuilt the search index: 5 customer documents" in result.output
    assert [(r.method, r.url.path) for r in seen] == [
        ("POST", "/v1/search/rebuild"),
        ("GET", "/v1/search/rebuild"),
        ("GET", "/v1/search/rebuild"),
    ]
    assert str(seen[0].url).startswith("http://127.0.0.1:8004/")
    token = seen[0].headers["Authorization"].removeprefix("Bearer ")
    user = asyncio.run(TokenVerifier(JwtSettings()).verify(token))
    assert isinstance(user, OfficeUser)
    assert user.office_id == "office-7"
    assert user.is_admin


def test_a_refused_rebuild_is_one_line(monkeypatch):
    answers = [(409, {"title": "Conflict", "detail": "a rebuild of the search index is running already"})]
    real_client = httpx.Client
    monkeypatch.setattr(
        cli.httpx, "Client", lambda **options: real_client(transport=_search_service(answers, []), **options)
    )
    result = runner.invoke(cli.app, ["reindex"])
    assert result.exit_code == 1
    assert (
        "refused the rebuild: 409 Conflict: a rebuild of the search index is running already" in result.output
    )
    assert "Traceback" not in result.output
