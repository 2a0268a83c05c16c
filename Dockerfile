# syntax=docker/dockerfile:1
#
# The image of every service, one build argument apart. The build context is the repository
# root (the uv workspace):
#
#   docker build --build-arg SERVICE=customer --build-arg PORT=8001 -t crm/customer:dev .
#
# SERVICE is a folder under services/ (its package and its console script `<SERVICE>-service`
# share the name); PORT is the one its config.py defaults to (SPEC §9: 8001-8005).
#
# The workspace members are installed *editable* (uv's default for workspace members): a service's
# main.py finds its Alembic migrations at Path(__file__).parents[2] / "migrations", i.e.
# /app/services/<SERVICE>/migrations, which only holds while the package is imported from
# /app/services/<SERVICE>/src. So: no --no-editable, and the runtime stage copies /app whole.

ARG PYTHON_IMAGE=python:3.11-slim

# ---------------------------------------------------------------------------------------------
# Every member's pyproject.toml and the lock file, and nothing else. uv reads the whole workspace
# to sync one package, so every member's manifest must be in place; copying them through this
# stage (rather than naming each member) keeps the Dockerfile free of the member list. This stage
# runs again on any source change, but its output does not change, so the dependency layer below
# stays cached: COPY --from compares content.
FROM ${PYTHON_IMAGE} AS manifests
WORKDIR /src
COPY . .
RUN find . -type f ! -name pyproject.toml ! -name uv.lock -delete \
    && find . -depth -type d -empty -delete

# ---------------------------------------------------------------------------------------------
FROM ${PYTHON_IMAGE} AS build

ARG SERVICE
# uv from PyPI, pinned to the version the lock file is written with.
ARG UV_VERSION=0.13.9
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_NO_CACHE=1
RUN test -n "${SERVICE}" || { echo "--build-arg SERVICE=<folder under services/> is required" >&2; exit 1; } \
    && pip install "uv==${UV_VERSION}"

WORKDIR /app

# 1. Dependencies only, in their own layer: rebuilt when the lock or a pyproject changes, not on
#    every source edit. --frozen: exactly what uv.lock says, never re-resolved.
COPY --from=manifests /src/ ./
RUN uv sync --frozen --no-dev --package "${SERVICE}" --no-install-workspace

# 2. The libraries' and the service's sources and migrations (tests are left out by
#    .dockerignore), then the workspace members themselves, editable, into the same environment.
COPY libs/ libs/
COPY services/${SERVICE}/ services/${SERVICE}/
RUN uv sync --frozen --no-dev --package "${SERVICE}" \
    && python -m compileall -q libs services \
    # One name for the console script of whichever service this is (CMD below).
    && ln -s "${SERVICE}-service" /app/.venv/bin/service

# ---------------------------------------------------------------------------------------------
FROM ${PYTHON_IMAGE} AS runtime

ARG SERVICE
ARG PORT=8000

# Fixed numeric ids, so Kubernetes' runAsNonRoot can check them.
RUN groupadd --system --gid 10001 app \
    && useradd --system --uid 10001 --gid app --no-create-home --home-dir /nonexistent \
       --shell /usr/sbin/nologin app

WORKDIR /app
# Owned by root and read-only for the service user: the image needs no writable files.
COPY --from=build /app /app

ENV PATH="/app/.venv/bin:${PATH}" \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    SERVICE=${SERVICE} \
    HOST=0.0.0.0 \
    PORT=${PORT}

USER 10001:10001
EXPOSE ${PORT}

# Liveness only (/healthz); readiness (/readyz: database, broker, OpenSearch for search) is for
# the orchestrator. Python rather than curl: the slim image has no curl.
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ['PORT'], timeout=4)"]

# `service migrate` runs the service's Alembic migrations (compose's migrate services, the
# Kubernetes Jobs); `service serve` the API with its relay and consumer.
CMD ["service", "serve"]
