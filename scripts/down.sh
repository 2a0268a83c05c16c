#!/usr/bin/env bash
# Stop what scripts/up.sh started: the services, then OpenSearch, RabbitMQ and PostgreSQL.
#
# Usage: scripts/down.sh [--keep-infra]
#
#   --keep-infra   stop only the services; leave the servers running (faster next up.sh)
#
# Services are found through their pid files in .run/ (each is its own process group, see
# up.sh): SIGTERM for a graceful shutdown, SIGKILL if still alive after 10 s.

set -euo pipefail

LOG_PREFIX="down"
# shellcheck source=scripts/infra/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/infra/lib.sh"

readonly ROOT="$CRM_REPO_ROOT"
readonly INFRA="$ROOT/scripts/infra"
readonly RUN_DIR="$ROOT/.run"
readonly TERM_TIMEOUT=10

# Signals the process group led by PID when PID leads one (how up.sh starts services),
# else just PID: uv forwards signals, but the group also reaches the Python process
# should uv already be gone.
signal_service() {
  local sig="$1" pid="$2" pgid
  pgid="$(ps -o pgid= -p "$pid" 2>/dev/null | tr -d ' ')"
  if [[ "$pgid" == "$pid" ]]; then
    kill "-$sig" -- "-$pid" 2>/dev/null || true
  else
    kill "-$sig" "$pid" 2>/dev/null || true
  fi
}

stop_service() {
  local pid_file="$1" svc pid
  svc="$(basename "$pid_file" .pid)"
  pid="$(tr -dc '0-9' <"$pid_file")"
  # Only a live process that still is this service (pid numbers get reused).
  if [[ -z "$pid" || ! -r "/proc/$pid/cmdline" ]] \
    || ! tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q -- "$svc-service"; then
    log "$svc not running"
    rm -f "$pid_file"
    return 0
  fi
  log "stopping $svc (pid $pid)"
  signal_service TERM "$pid"
  if ! wait_for "! kill -0 $pid" "$TERM_TIMEOUT"; then
    log "$svc still alive after ${TERM_TIMEOUT} s; SIGKILL"
    signal_service KILL "$pid"
    wait_for "! kill -0 $pid" 5 || log "WARNING: $svc (pid $pid) survived SIGKILL"
  fi
  rm -f "$pid_file"
}

stop_services() {
  local pid_file found=0
  if [[ -d "$RUN_DIR" ]]; then
    for pid_file in "$RUN_DIR"/*.pid; do
      [[ -e "$pid_file" ]] || continue
      found=1
      stop_service "$pid_file"
    done
  fi
  [[ $found -eq 1 ]] || log "no services to stop (no pid files in $RUN_DIR)"
}

# Reverse order of up.sh. Each script is a no-op when its server is not running.
stop_infra() {
  "$INFRA/mailsink.sh" stop
  "$INFRA/opensearch.sh" stop
  "$INFRA/rabbitmq.sh" stop
  "$INFRA/postgres.sh" stop
}

usage() {
  echo "usage: $0 [--keep-infra]" >&2
  exit 2
}

main() {
  local keep_infra=0
  while [[ $# -gt 0 ]]; do
    case "$1" in
      --keep-infra) keep_infra=1 ;;
      -h | --help) usage ;;
      *) usage ;;
    esac
    shift
  done

  stop_services
  if [[ $keep_infra -eq 1 ]]; then
    log "--keep-infra: leaving PostgreSQL, RabbitMQ and OpenSearch running"
  else
    [[ $EUID -eq 0 ]] || die "must run as root to stop the servers (or use --keep-infra)"
    stop_infra
  fi
  log "done"
}

main "$@"
