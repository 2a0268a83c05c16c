"""Problem details, ETags, cursors: the HTTP mechanics every service shares."""

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import BaseModel, Field

from servicekit.errors import install_problem_handlers
from servicekit.etag import check_version, etag_for, expected_version
from servicekit.pagination import decode_cursor, encode_cursor
from servicekit.problems import Conflict, InvalidField, PreconditionFailed, PreconditionRequired, Problem


class Thing(BaseModel):
    name: str = Field(min_length=1)
    size: int


def an_app() -> FastAPI:
    app = FastAPI()
    install_problem_handlers(app)

    @app.post("/things")
    async def create(thing: Thing) -> Thing:
        return thing

    @app.get("/conflict")
    async def conflict() -> None:
        raise Conflict("Already there.", errors=[{"field": "name", "message": "taken"}])

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("secret internals")

    return app


def test_validation_errors_are_problem_details_naming_each_field():
    response = TestClient(an_app()).post("/things", json={"name": "", "size": "big"})
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert {e["field"] for e in problem["errors"]} == {"name", "size"}
    assert "name:" in problem["detail"]
    assert "size:" in problem["detail"]
    assert problem["instance"] == "/things"


def test_a_raised_problem_keeps_its_status_and_errors():
    response = TestClient(an_app()).get("/conflict")
    assert response.status_code == 409
    assert response.json()["errors"] == [{"field": "name", "message": "taken"}]


def test_an_unexpected_error_answers_500_without_leaking_internals():
    response = TestClient(an_app(), raise_server_exceptions=False).get("/boom")
    assert response.status_code == 500
    assert "secret" not in response.text
    assert response.headers["content-type"] == "application/problem+json"


def test_unknown_paths_are_problems_too():
    response = TestClient(an_app()).get("/nowhere")
    assert response.status_code == 404
    assert response.json()["title"] == "Not Found"


@pytest.mark.parametrize(("header", "version"), [('"3"', 3), ('W/"3"', 3), (' "12" ', 12), ("*", None)])
def test_if_match_accepts_strong_weak_and_star(header, version):
    assert expected_version(header, required=True) == version


def test_if_match_is_required_where_asked():
    with pytest.raises(PreconditionRequired):
        expected_version(None, required=True)
    assert expected_version(None, required=False) is None


def test_a_malformed_if_match_is_a_400():
    with pytest.raises(Problem) as raised:
        expected_version("yesterday", required=True)
    assert raised.value.status == 400


def test_a_stale_version_fails_the_precondition():
    check_version(4, 4)
    check_version(4, None)
    with pytest.raises(PreconditionFailed):
        check_version(4, 3)
    assert etag_for(4) == '"4"'


def test_a_cursor_round_trips_and_a_forged_one_is_refused_naming_the_field():
    position = ["østbø as", "5f0c"]
    assert decode_cursor(encode_cursor(position), 2) == position
    for forged in ["garbage!", encode_cursor(["only one"]), encode_cursor({"a": 1})]:  # type: ignore[arg-type]
        with pytest.raises(InvalidField) as raised:
            decode_cursor(forged, 2)
        assert raised.value.errors == [{"field": "cursor", "message": "is not a cursor this list gave out"}]
