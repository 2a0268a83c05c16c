"""Problem details, ETags, cursors: the HTTP mechanics every service shares."""

import dataclasses
import re
import uuid
from collections.abc import Awaitable, Callable
from typing import Annotated

import pytest
from fastapi import APIRouter, Depends, FastAPI, Form
from fastapi.testclient import TestClient
from pydantic import BaseModel, Field, TypeAdapter, ValidationError

import domainkit as domain
from servicekit.api_fields import NOT_BLANK, WholeNumber
from servicekit.errors import PROBLEM_JSON, install_problem_handlers
from servicekit.etag import IF_MATCH_PATTERN, IfMatchRequired, check_version, etag_for, expected_version
from servicekit.openapi import complete_document, responses
from servicekit.pagination import decode_cursor, encode_cursor
from servicekit.problems import Conflict, InvalidField, PreconditionFailed, PreconditionRequired, Problem
from servicekit.storable import find_unstorable, refuse_unstorable_text


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


def test_an_unexpected_error_answers_500_without_leaking_internals_and_closes_the_connection():
    response = TestClient(an_app(), raise_server_exceptions=False).get("/boom")
    assert response.status_code == 500
    assert "secret" not in response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["connection"] == "close"


def failing_with(error: Exception) -> Callable[[], Awaitable[None]]:
    async def fail() -> None:
        raise error

    return fail


def test_domain_errors_become_problems_by_their_kind():
    app = an_app()

    class NumberTaken(domain.Conflict):
        pass

    raised: dict[str, Exception] = {
        "missing": domain.NotFound("No such thing."),
        "taken": NumberTaken(
            "Number 7 is taken.", errors=[{"field": "number", "message": "taken"}], holder="x"
        ),
        "refused": domain.NotAllowed("Admins only.", permission="administer_office"),
        "invalid": domain.InvalidField("size", "must be positive"),
    }
    for name, error in raised.items():
        app.add_api_route(f"/{name}", failing_with(error))
    client = TestClient(app)
    assert client.get("/missing").status_code == 404
    taken = client.get("/taken")
    assert (taken.status_code, taken.json()["holder"]) == (409, "x")
    assert taken.json()["errors"] == [{"field": "number", "message": "taken"}]
    assert client.get("/refused").json()["permission"] == "administer_office"
    invalid = client.get("/invalid")
    assert (invalid.status_code, invalid.json()["errors"][0]["field"]) == (422, "size")


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


@pytest.mark.parametrize("header", ["yesterday", '"3', "3", 'W/"3"x', '"a b"'])
def test_a_malformed_if_match_is_a_400_naming_the_header(header):
    with pytest.raises(Problem) as raised:
        expected_version(header, required=True)
    assert raised.value.status == 400
    assert raised.value.errors == [{"field": "If-Match", "message": 'must be an ETag such as "3"'}]


@pytest.mark.parametrize("header", ['"abc"', 'W/"x1"', '"3", "4"', '"99999999999999"'])
def test_an_entity_tag_that_is_not_ours_matches_no_version(header):
    with pytest.raises(PreconditionFailed, match="no version"):
        check_version(3, expected_version(header, required=True))


def test_a_stale_version_fails_the_precondition():
    check_version(4, 4)
    check_version(4, None)
    with pytest.raises(PreconditionFailed):
        check_version(4, 3)
    assert etag_for(4) == '"4"'


def test_a_cursor_round_trips_and_a_forged_one_is_refused_naming_the_field():
    an_id = uuid.uuid4()
    assert decode_cursor(encode_cursor(["østbø as", str(an_id)]), (str, uuid.UUID)) == ("østbø as", an_id)
    forged = [
        "garbage!",
        "%%%",
        encode_cursor(["only one"]),
        encode_cursor({"a": 1}),  # type: ignore[arg-type]
        encode_cursor(["name", "not-a-uuid"]),
        encode_cursor([1, str(an_id)]),
        encode_cursor(["nul\x00", str(an_id)]),
        encode_cursor(["x", str(an_id), "extra"]),
    ]
    for cursor in forged:
        with pytest.raises(InvalidField) as raised:
            decode_cursor(cursor, (str, uuid.UUID))
        assert raised.value.errors == [{"field": "cursor", "message": "is not a cursor this list gave out"}]


@pytest.mark.parametrize("position", [[True], ["7"], [7.5], [None]])
def test_a_number_cursor_takes_only_whole_numbers(position):
    with pytest.raises(InvalidField):
        decode_cursor(encode_cursor(position), (int,))
    assert decode_cursor(encode_cursor([7]), (int,)) == (7,)


def test_text_postgresql_cannot_store_is_found_with_its_path():
    assert find_unstorable({"name": "ok", "tags": ["a", "b\x00"]}) == (
        "tags.1",
        "must not contain the NUL character",
    )
    assert find_unstorable({"custom_fields": {"\ud800": 1}})[0] == "custom_fields.\\ud800"  # type: ignore[index]
    assert find_unstorable({"name": "Østbø ✓", "n": 1, "b": True, "x": None}) is None


def test_path_values_a_convertor_already_converted_pass_the_storable_text_check():
    app = FastAPI(dependencies=[Depends(refuse_unstorable_text)])
    install_problem_handlers(app)

    @app.get("/things/{thing_id:uuid}/{name}")
    async def thing(thing_id: uuid.UUID, name: str) -> str:
        return f"{thing_id} {name}"

    an_id = uuid.uuid4()
    client = TestClient(app)
    assert client.get(f"/things/{an_id}/x").json() == f"{an_id} x"
    refused = client.get(f"/things/{an_id}/a%00b")
    assert (refused.status_code, refused.json()["errors"][0]["field"]) == (422, "name")


def test_form_fields_are_checked_for_storable_text_and_still_reach_the_route():
    app = FastAPI(dependencies=[Depends(refuse_unstorable_text)])
    install_problem_handlers(app)

    @app.post("/login")
    async def login(email: Annotated[str, Form()]) -> str:
        return email

    client = TestClient(app)
    assert client.post("/login", data={"email": "kari@ostbo.no"}).json() == "kari@ostbo.no"
    refused = client.post("/login", data={"email": "kari\x00@ostbo.no"})
    assert (refused.status_code, refused.json()["errors"][0]["field"]) == (422, "email")


def test_not_sent_differs_from_null_and_is_left_out():
    @dataclasses.dataclass
    class Patch:
        name: str | domain.NotSent | None = domain.NOT_SENT
        segment: str | domain.NotSent | None = domain.NOT_SENT

    assert domain.sent_fields(Patch(segment=None)) == {"segment": None}
    assert not domain.NOT_SENT


@pytest.mark.parametrize(
    "header", ['"3"', 'W/"3"', "*", '"a,b"', '"1", W/"2"', '"1","2"', "yesterday", '"3', "* ,", '"1",', ""]
)
def test_the_documented_if_match_pattern_is_what_the_header_is_read_with(header):
    documented = re.fullmatch(IF_MATCH_PATTERN, header) is not None
    try:
        expected_version(header, required=False)
        read = True
    except Problem:
        read = False
    assert read == (documented or header == "")


def test_a_405_names_every_method_the_path_takes():
    app = an_app()

    @app.get("/things")
    async def things() -> list[Thing]:
        return []

    response = TestClient(app).delete("/things")
    assert response.status_code == 405
    assert response.headers["content-type"] == PROBLEM_JSON
    assert response.headers["allow"] == "GET, POST"


def test_a_405_names_the_methods_of_routes_in_included_routers_too():
    app = an_app()
    router = APIRouter(prefix="/v1/things")

    @router.get("/export")
    async def export() -> None:
        return None

    @router.patch("/{thing_id:uuid}")
    async def change(thing_id: uuid.UUID) -> None:
        return None

    app.include_router(router)
    response = TestClient(app).patch("/v1/things/export")
    assert response.status_code == 405
    assert response.headers["allow"] == "GET"


def test_the_completed_document_states_problems_400s_required_if_match_and_no_null_parameters():
    app = an_app()

    @app.patch("/things/{name}", responses=responses(412, 428))
    async def change(name: str, thing: Thing, if_match: IfMatchRequired = None, q: str | None = None) -> None:
        return None

    document = complete_document(app.openapi())
    operation = document["paths"]["/things/{name}"]["patch"]
    by_name = {p["name"]: p for p in operation["parameters"]}
    assert by_name["if-match"]["required"] is True
    assert by_name["q"]["schema"] == {"type": "string", "title": "Q"}
    assert list(operation["responses"]["422"]["content"]) == [PROBLEM_JSON]
    assert list(operation["responses"]["400"]["content"]) == [PROBLEM_JSON]
    assert "HTTPValidationError" not in document["components"]["schemas"]


def test_not_blank_text_needs_a_character_that_is_whitespace_to_no_one():
    for blank in ["", " ", "\t\n", "\x1c\x1f", "\u3000\ufeff", "\xa0\x85"]:
        assert re.search(NOT_BLANK, blank) is None, repr(blank)
    for text in ["a", " a ", "\u200b", "0"]:
        assert re.search(NOT_BLANK, text) is not None, repr(text)


@pytest.mark.parametrize(("given", "taken"), [("3", 3), ("3.0", 3), ("1e2", 100)])
def test_a_whole_number_is_one_json_schema_calls_an_integer(given, taken):
    assert TypeAdapter(WholeNumber).validate_json(given) == taken


@pytest.mark.parametrize("given", ["true", '"3"', "3.5"])
def test_a_whole_number_is_never_a_boolean_a_string_or_a_fraction(given):
    with pytest.raises(ValidationError):
        TypeAdapter(WholeNumber).validate_json(given)
