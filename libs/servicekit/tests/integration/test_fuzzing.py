"""The kit's fuzz run finds what a document leaves out, and passes an app whose document tells the truth."""

from __future__ import annotations

from fastapi import FastAPI, Path
from fastapi.responses import JSONResponse

from servicekit.app import document_truthfully
from servicekit.errors import install_problem_handlers
from servicekit.openapi import responses
from servicekit.problems import Problem
from servicekit.testing.fuzzing import fuzz_openapi


def an_app(*, document_the_conflict: bool) -> FastAPI:
    app = FastAPI()
    install_problem_handlers(app)
    document_truthfully(app)
    statuses = (404, 409) if document_the_conflict else (404,)

    @app.get("/things/{number}", responses=responses(*statuses, etag=False))
    async def thing(number: int = Path(ge=0, le=100)) -> dict[str, int]:
        if number > 50:
            raise Problem("Only small things here.", status=409)
        return {"number": number}

    @app.get("/readyz", responses={503: {"description": "Not ready."}})
    async def readyz() -> JSONResponse:
        return JSONResponse({"status": "not ready"}, status_code=503)

    return app


async def test_an_answer_the_document_does_not_state_fails_the_run():
    run = await fuzz_openapi(an_app(document_the_conflict=False), token="any", max_examples=10)
    assert not run.found_nothing
    assert "Undocumented status code" in run.output
    assert "Received: 409" in run.output


async def test_a_document_that_tells_the_truth_passes_and_a_probe_may_say_not_ready():
    run = await fuzz_openapi(an_app(document_the_conflict=True), token="any", max_examples=10)
    assert run.found_nothing, run.output
