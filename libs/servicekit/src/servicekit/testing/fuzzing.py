"""Schemathesis against a service's own OpenAPI document: the document must tell the truth.

`fuzz_openapi(app, token=...)` serves the (already started) app on a loopback port inside the test's event
loop and runs `schemathesis run` against it with every check schemathesis has (`--checks all`) and every
phase (examples, coverage, fuzzing, and stateful on the links it infers from `Location` headers), a bounded
number of examples per operation and deterministic generation: the same run every time, so a failure
reproduces and a pass stays a pass.

Why a real server and the command, not schemathesis' in-process ASGI client: that client runs the app on
an event loop of its own in another thread, while the app's engine, relay and bus connection belong to the
test's loop (asyncpg connections cannot cross loops). Here the app stays on its loop answering real HTTP,
and schemathesis runs as it would against a deployed service, printing its own report.

`schemathesis.toml` beside this module tells two checks about statuses we answer on purpose (428, 412) and
the generator about text no service can store; `fuzzing_hooks` gives valid requests fresh Idempotency-Keys
and drops the positive-data reports of fields whose rules no schema can state, which each service names
(`rules_beyond_schema`). No check is excluded. Two of them have little to work on in such a run, for
reasons of the run rather than of the service:
- `use_after_free` and `ensure_resource_availability` need API links; schemathesis infers them from the
  `Location` headers of creates, so they check what those links reach (customers, categories, addresses).
- `object_level_authorization` needs several identities (a Web Fuzzing Commons auth file), and with them
  schemathesis would also switch identities per operation on every 401 or 403; one token is given, so it
  finds nothing to compare. That another office sees none of an office's records is each service's own
  tests' job (the customer service's answer 404).
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import sys
from collections.abc import AsyncIterator, Collection
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import uvicorn
from fastapi import FastAPI

RULES_BEYOND_SCHEMA_ENV = "SERVICEKIT_FUZZ_RULES_BEYOND_SCHEMA"
"""How `fuzz_openapi` hands the field patterns to `fuzzing_hooks`, in the schemathesis process: a JSON list."""
MAX_EXAMPLES = 25
"""Examples per operation in the fuzzing phase: enough to find a gap, few enough for a 2-core CI."""
CONFIG_FILE = Path(__file__).with_name("schemathesis.toml")
KIT_RULES_BEYOND_SCHEMA = ("cursor",)
"""Every service's: a cursor is valid only if a list gave it out; its document states its alphabet and
length, which is all a schema can state."""


@dataclass(frozen=True)
class FuzzRun:
    returncode: int
    output: str

    @property
    def found_nothing(self) -> bool:
        return self.returncode == 0


@asynccontextmanager
async def served_on_loopback(app: FastAPI) -> AsyncIterator[str]:
    """The app answering HTTP on a free loopback port (its lifespan already entered by the caller); yields
    the base URL."""
    server = uvicorn.Server(uvicorn.Config(app, lifespan="off", log_config=None, access_log=False))
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    # asyncio turns Nagle off only on sockets it knows are TCP (proto 6), and ours says proto 0: without this,
    # each answer's body waits for the client's delayed ACK of its head, 40 ms a request.
    listener.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    listener.bind(("127.0.0.1", 0))
    serving = asyncio.create_task(server.serve(sockets=[listener]))
    try:
        async with asyncio.timeout(10):
            while not server.started:
                if serving.done():
                    serving.result()
                await asyncio.sleep(0.01)
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        server.should_exit = True
        await serving
        listener.close()


async def fuzz_openapi(
    app: FastAPI,
    *,
    token: str,
    include_path_regex: str | None = None,
    exclude_path_regex: str | None = None,
    rules_beyond_schema: Collection[str] = (),
    max_examples: int = MAX_EXAMPLES,
) -> FuzzRun:
    """Run schemathesis with all its checks against the operations of `app` (those whose path matches
    `include_path_regex` and not `exclude_path_regex`), calling with the bearer `token`.

    `rules_beyond_schema` names the fields (`fnmatch` patterns of the `field` in a problem's `errors`)
    whose validity depends on stored data or on rules no JSON Schema states, such as check digits; see
    `servicekit.testing.fuzzing_hooks`."""
    async with served_on_loopback(app) as base_url:
        command = [
            sys.executable,
            "-m",
            "schemathesis.cli",
            f"--config-file={CONFIG_FILE}",
            "run",
            f"{base_url}{app.openapi_url}",
            "--checks=all",
            f"--max-examples={max_examples}",
            "--generation-deterministic",
            "--continue-on-failure",
            "--workers=1",
            "--no-color",
            f"--header=Authorization: Bearer {token}",
        ]
        if include_path_regex:
            command.append(f"--include-path-regex={include_path_regex}")
        if exclude_path_regex:
            command.append(f"--exclude-path-regex={exclude_path_regex}")
        environment = {
            **os.environ,
            "SCHEMATHESIS_HOOKS": "servicekit.testing.fuzzing_hooks",
            RULES_BEYOND_SCHEMA_ENV: json.dumps([*KIT_RULES_BEYOND_SCHEMA, *rules_beyond_schema]),
        }
        process = await asyncio.create_subprocess_exec(
            *command, env=environment, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
        )
        output, _ = await process.communicate()
    return FuzzRun(process.returncode or 0, output.decode("utf-8", "replace"))
