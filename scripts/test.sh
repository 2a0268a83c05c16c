#!/usr/bin/env bash
# The project's test command (CI runs it through .ci/run): lint, then pytest in three stages.
#
# Usage: scripts/test.sh [PYTEST ARGS...]     e.g. scripts/test.sh -k customer -x
#
# Steps:
#   1. uv (installed with pip if missing), `uv sync --all-packages --frozen`
#   2. infrastructure: with a reachable Docker engine the pytest fixtures start containers
#      (CRM_TEST_INFRA=testcontainers); without one (this machine kind) the local PostgreSQL,
#      RabbitMQ and OpenSearch are started by scripts/infra/*.sh (CRM_TEST_INFRA=local)
#      Debian's Chromium for the portal's browser test (apt-get, never a browser download)
#   3. deployment checks' tools: kustomize (scripts/infra/kustomize.sh, `go install` of a pinned version
#      into .tools/bin/ the first time); kubernetes-validate and jsonschema come with the dev dependencies
#   4. lint: ruff check, ruff format --check; mypy --strict over every library, service and tool
#   5. pytest -m unit, -m integration, -m e2e, each with the extra arguments
#
# Every lint and test stage runs even when an earlier one failed, so one CI run shows all
# problems; the script fails at the end, with one summary line per stage. Pytest's exit code
# 5 ("no tests collected") counts as success: a marker may have no tests yet.

set -euo pipefail

LOG_PREFIX="test"
# shellcheck source=scripts/infra/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/infra/lib.sh"

readonly ROOT="$CRM_REPO_ROOT"
readonly INFRA="$ROOT/scripts/infra"

SUMMARY=()
FAILED=0

# --compile-bytecode: every service process (two API workers and a background one each) would
# otherwise compile its dependencies from source at start, about 2.5 s of CPU each; a worker still
# importing under load answers uvicorn's health check late.
sync_workspace() {
  log "uv sync --all-packages --frozen --compile-bytecode"
  (cd "$ROOT" && "${UV[@]}" sync --all-packages --frozen --compile-bytecode -q)
}

docker_engine_reachable() {
  command -v docker >/dev/null || return 1
  # A docker client without a daemon can hang for a while; give it a few seconds.
  timeout 5 docker info >/dev/null 2>&1
}

provision_infra() {
  if docker_engine_reachable; then
    log "Docker engine reachable: the test fixtures start containers (testcontainers)"
    export CRM_TEST_INFRA=testcontainers
    return 0
  fi
  log "no Docker engine: using local PostgreSQL, RabbitMQ and OpenSearch"
  export CRM_TEST_INFRA=local
  "$INFRA/postgres.sh" start
  "$INFRA/rabbitmq.sh" start
  "$INFRA/opensearch.sh" start
  export CRM_TEST_PG_ADMIN_URL="postgresql://crm_admin:${CRM_PG_ADMIN_PASSWORD:-crm_admin}@127.0.0.1:5432/postgres"
  export CRM_TEST_AMQP_URL="amqp://guest:guest@127.0.0.1:5672/"
  export CRM_TEST_OPENSEARCH_URL="http://127.0.0.1:9200"
}

# run_stage NAME CMD... : runs one stage, records "NAME: ok/FAILED (exit N) [s]".
run_stage() {
  local name="$1" started=$SECONDS rc=0
  shift
  log "==== $name: $* ===="
  (cd "$ROOT" && "$@") || rc=$?
  local took=$((SECONDS - started))
  if [[ $rc -eq 0 ]]; then
    SUMMARY+=("$(printf '%-20s ok (%d s)' "$name" "$took")")
  elif [[ $rc -eq 5 && "$name" == pytest-* ]]; then
    SUMMARY+=("$(printf '%-20s ok, no tests collected (%d s)' "$name" "$took")")
  else
    SUMMARY+=("$(printf '%-20s FAILED (exit %d, %d s)' "$name" "$rc" "$took")")
    FAILED=1
  fi
}

# The tests render deploy/k8s/overlays/* with it (tests/integration/test_deployment_files.py).
# Not fatal: without it only the Kubernetes checks fail (they say why), every other stage still runs.
provision_tools() {
  local path
  if path="$("$INFRA/kustomize.sh" path)"; then
    export KUSTOMIZE="$path"
    log "kustomize: $KUSTOMIZE"
  else
    log "WARNING: kustomize could not be installed; the Kubernetes checks will fail"
  fi
}

lint() {
  run_stage ruff-check "${UV[@]}" run --frozen ruff check .
  run_stage ruff-format "${UV[@]}" run --frozen ruff format --check .
  # Types are checked strictly over every library, service and tool (the paths are in pyproject.toml).
  run_stage mypy "${UV[@]}" run --frozen mypy
}

# Markers are declared in the root pyproject.toml (--strict-markers rejects unknown ones).
run_tests() {
  local marker
  for marker in unit integration e2e; do
    run_stage "pytest-$marker" "${UV[@]}" run --frozen pytest -m "$marker" "$@"
  done
}

print_summary() {
  local line
  log "==== summary ===="
  for line in "${SUMMARY[@]}"; do
    log "  $line"
  done
}

# The portal's browser test drives Debian's Chromium through Playwright (executable_path).
install_chromium() {
  [[ -x /usr/bin/chromium ]] && return 0
  apt_install chromium
}

main() {
  local started=$SECONDS
  ensure_uv
  sync_workspace
  install_chromium
  provision_infra
  provision_tools
  lint
  run_tests "$@"
  print_summary
  if [[ $FAILED -ne 0 ]]; then
    log "FAILED after $((SECONDS - started)) s"
    exit 1
  fi
  log "all stages passed in $((SECONDS - started)) s"
}

main "$@"
