#!/usr/bin/env bash
# Start the whole platform locally: PostgreSQL, RabbitMQ, OpenSearch and every service.
#
# Usage: scripts/up.sh            (stop again with scripts/down.sh)
#
# The services are the folders of services/ with a pyproject.toml, started in the order of their
# ports (customer 8001 first); a service that lands is started without editing this file.
#
# Idempotent: what already runs is left alone, so a second run only checks and prints the
# summary. Services run in the background from the workspace's virtualenv, all started at once,
# each migrating its database first; each writes a plain-text log to .run/<service>.log (LOG_JSON=true for
# the JSON lines production writes), next to its pid file.
#
# Environment:
#   UP_HEALTH_TIMEOUT        seconds to wait for each service's /healthz (default 60)
#   CRM_PG_PASSWORD_<SVC>    non-default database password of a service (see postgres.sh)
#   LOG_JSON                 true: JSON log lines (default false here: readable)

set -euo pipefail

LOG_PREFIX="up"
# shellcheck source=scripts/infra/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/infra/lib.sh"

readonly ROOT="$CRM_REPO_ROOT"
readonly INFRA="$ROOT/scripts/infra"
readonly RUN_DIR="$ROOT/.run"
readonly HEALTH_TIMEOUT="${UP_HEALTH_TIMEOUT:-60}"

# HTTP port of a service: the default of `port` in its config.py (SPEC §9: 8001-8005).
service_port() {
  local config="$ROOT/services/$1/src/$1/config.py" port
  port="$(sed -n 's/^    port: int = \([0-9][0-9]*\)$/\1/p' "$config" 2>/dev/null | head -n 1)"
  [[ -n "$port" ]] || die "no 'port: int = N' in $config"
  echo "$port"
}

# Every service of the workspace (a folder of services/ with a pyproject.toml), by port.
discover_services() {
  local dir svc
  for dir in "$ROOT"/services/*/; do
    svc="$(basename "$dir")"
    [[ -f "$dir/pyproject.toml" ]] || continue
    echo "$(service_port "$svc") $svc"
  done | sort -n | cut -d' ' -f2 | tr '\n' ' '
}
SERVICES="$(discover_services)"

# ---------------------------------------------------------------------------------------
# Steps
# ---------------------------------------------------------------------------------------

# --frozen: use uv.lock exactly as committed (never re-resolve). A second run is answered
# from uv's cache, without network.
# --compile-bytecode: every service process (two API workers and a background one each) would
# otherwise compile its dependencies from source at start, about 2.5 s of CPU each; a worker still
# importing under load answers uvicorn's health check late.
sync_workspace() {
  log "uv sync --all-packages --frozen --compile-bytecode"
  (cd "$ROOT" && "${UV[@]}" sync --all-packages --frozen --compile-bytecode -q)
}

start_infra() {
  "$INFRA/postgres.sh" start
  "$INFRA/rabbitmq.sh" start
  "$INFRA/opensearch.sh" start
  # Where the portal's invitation and reset mails go in development (.run/mail/).
  "$INFRA/mailsink.sh" start
}

# Prints the pid from .run/SVC.pid if that process is alive and still is that service
# (after a reboot the number may belong to something else).
service_pid() {
  local pid_file="$RUN_DIR/$1.pid" pid
  [[ -f "$pid_file" ]] || return 1
  pid="$(tr -dc '0-9' <"$pid_file")"
  [[ -n "$pid" && -r "/proc/$pid/cmdline" ]] || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q -- "$1-service" || return 1
  echo "$pid"
}

is_healthy() {
  [[ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://127.0.0.1:$1/healthz")" == 200 ]]
}

show_log_tail() {
  log "---- last lines of $RUN_DIR/$1.log ----"
  tail -n 40 "$RUN_DIR/$1.log" >&2 || true
}

# The services default to password = service name; pass the URL only when that was changed.
# Sets SERVICE_ENV to the env(1) arguments for the service's processes.
set_service_env() {
  local svc="$1" pw_var
  pw_var="CRM_PG_PASSWORD_${svc^^}"
  SERVICE_ENV=("LOG_JSON=${LOG_JSON:-false}" "MIGRATE_ON_START=true")
  if [[ -n "${!pw_var:-}" ]]; then
    SERVICE_ENV+=("DATABASE_URL=postgresql+asyncpg://$svc:${!pw_var}@127.0.0.1:5432/$svc")
  fi
  if [[ "$svc" == search ]]; then
    SERVICE_ENV+=("OPENSEARCH_URL=$("$INFRA/opensearch.sh" url)")
  fi
}

# Launches a service that is not running yet and does not wait for it:
# all services start at once, then wait_healthy waits for each.
start_service() {
  local svc="$1" port pid
  port="$(service_port "$svc")"

  if pid="$(service_pid "$svc")"; then
    log "$svc already running (pid $pid)"
  elif is_healthy "$port"; then
    # Started some other way (e.g. by hand); do not start a second copy that would fail
    # on the port, and do not claim it in .run/.
    log "$svc: something already answers http://127.0.0.1:$port/healthz; not starting it"
  else
    "$INFRA/postgres.sh" ensure-db "$svc"
    set_service_env "$svc"
    # The service migrates its database as it starts (MIGRATE_ON_START, on by default for local
    # runs): one process and one import per service rather than two, and all services import at
    # once, which is most of a start's time. A failed migration stops the process; wait_healthy
    # then shows its log.
    log "$svc: migrate and serve on port $port"
    # setsid: own process group (pid = pgid), so down.sh can signal uv and the Python
    # process under it together, and the service survives this terminal closing.
    (
      cd "$ROOT"
      exec setsid nohup env "${SERVICE_ENV[@]}" "${UV[@]}" run --frozen "$svc-service" serve \
        </dev/null >>"$RUN_DIR/$svc.log" 2>&1
    ) &
    echo "$!" >"$RUN_DIR/$svc.pid"
  fi
}

# Waits for a service's /healthz; fails early when the process it launched has died. (The pid
# file, not service_pid: right after the launch its process may not have become the service yet.)
wait_healthy() {
  local svc="$1" port pid=""
  port="$(service_port "$svc")"
  [[ -f "$RUN_DIR/$svc.pid" ]] && pid="$(tr -dc '0-9' <"$RUN_DIR/$svc.pid")"
  local deadline=$((SECONDS + HEALTH_TIMEOUT))
  until is_healthy "$port"; do
    if [[ -z "$pid" ]] || ! kill -0 "$pid" 2>/dev/null; then
      rm -f "$RUN_DIR/$svc.pid"
      show_log_tail "$svc"
      die "$svc exited during start-up (log: $RUN_DIR/$svc.log)"
    fi
    if ((SECONDS >= deadline)); then
      show_log_tail "$svc"
      die "$svc: http://127.0.0.1:$port/healthz not 200 after ${HEALTH_TIMEOUT} s (log: $RUN_DIR/$svc.log)"
    fi
    sleep 0.5
  done
  log "$svc healthy on http://127.0.0.1:$port"
}

print_summary() {
  local svc port os_url
  # Summary on stdout (log lines are on stderr).
  os_url="$("$INFRA/opensearch.sh" url)"
  {
    echo
    echo "The platform is up."
    echo
    echo "Services:"
    for svc in $SERVICES; do
      port="$(service_port "$svc")"
      printf '  %-10s http://127.0.0.1:%s   API docs: http://127.0.0.1:%s/docs\n' "$svc" "$port" "$port"
    done
    echo
    echo "Infrastructure:"
    echo "  PostgreSQL  127.0.0.1:5432   one database + user per service (password = its name),"
    echo "              superuser crm_admin (password \$CRM_PG_ADMIN_PASSWORD, default crm_admin)"
    echo "  RabbitMQ    amqp://guest:guest@127.0.0.1:5672/   management UI http://127.0.0.1:15672 (guest/guest)"
    echo "  OpenSearch  $os_url"
    echo "  Mail sink   SMTP 127.0.0.1:8025; the portal's mails as files in $RUN_DIR/mail/"
    echo
    echo "Logs and pid files: $RUN_DIR/"
    echo
    echo "Get a token:    uv run crm token --office office-1 --role office_admin"
    echo "Watch events:   uv run crm events watch"
    echo "Portal login:   http://127.0.0.1:8005/portal/login   (README: invite a contact first)"
    echo "Stop:           scripts/down.sh   (--keep-infra to stop only the services)"
  }
}

main() {
  local started=$SECONDS svc
  [[ $EUID -eq 0 ]] || die "must run as root (the infra scripts install packages and start servers)"
  mkdir -p "$RUN_DIR"
  ensure_uv
  sync_workspace
  start_infra
  log "services: $SERVICES"
  for svc in $SERVICES; do
    start_service "$svc"
  done
  for svc in $SERVICES; do
    wait_healthy "$svc"
  done
  print_summary
  log "done in $((SECONDS - started)) s"
}

# Sourcing the script (tests/integration/test_local_runner.py) defines the functions without starting anything.
if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
  main "$@"
fi
