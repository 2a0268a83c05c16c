#!/usr/bin/env bash
# Install, start, stop and provision the local PostgreSQL used for development and tests.
#
# Usage: scripts/infra/postgres.sh start|stop|status|ensure-db NAME
#
#   start          install if missing, start the Debian cluster "main" if it is down, wait until
#                  it answers on 127.0.0.1:5432, ensure the superuser role crm_admin
#   stop           stop the cluster (no error if it is already down)
#   status         print running/stopped; exit 0 if running, 3 if stopped
#   ensure-db NAME create (or update) login role NAME and database NAME owned by it, with pg_trgm
#
# Why it looks like this:
#   * No Docker on this machine kind: we use Debian's packaged PostgreSQL and its cluster
#     tooling (pg_ctlcluster), not a container. The newest installed major version is used.
#   * Each service owns its own database and role (same name), as in production.
#   * The test suite creates throw-away databases as crm_admin over TCP, so TCP must use
#     password auth (Debian's default pg_hba already does; we only repair it if changed).
#   * psql runs as the postgres OS user over the Unix socket (peer auth): no password needed
#     for provisioning.
#
# Environment:
#   CRM_PG_ADMIN_PASSWORD        password of crm_admin (default crm_admin)
#   CRM_PG_PASSWORD_<NAME>       password of role NAME for ensure-db (default: NAME itself)
#   PG_START_TIMEOUT             seconds to wait for the server to answer (default 60)

set -euo pipefail

LOG_PREFIX="postgres"
# shellcheck source=scripts/infra/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

readonly PG_HOST="127.0.0.1"
# Fixed: the service defaults and the test URLs all assume 5432.
readonly PG_PORT="5432"
readonly CLUSTER="main"
readonly ADMIN_ROLE="crm_admin"
readonly ADMIN_PASSWORD="${CRM_PG_ADMIN_PASSWORD:-crm_admin}"
readonly START_TIMEOUT="${PG_START_TIMEOUT:-60}"
# Serialises start/stop/ensure-db of concurrent callers (e.g. two clones running tests).
readonly LOCK_FILE="/tmp/crm-postgres.lock"

PG_VERSION=""

# ---------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------

# Anything that starts the server must close fd 9 (`9>&-`): the postmaster would otherwise
# inherit it and hold the lock for as long as it runs.
take_lock() {
  exec 9>"$LOCK_FILE"
  flock -w 120 9 || die "timed out waiting for $LOCK_FILE"
}

# psql as the postgres superuser over the Unix socket. cd / first: runuser keeps the cwd,
# and postgres usually cannot read root's (psql would warn "could not change directory").
psql_su() {
  (cd / && runuser -u postgres -- psql -X -q -v ON_ERROR_STOP=1 -p "$PG_PORT" "$@")
}

is_installed() {
  command -v pg_ctlcluster >/dev/null && compgen -G '/usr/lib/postgresql/*/bin/postgres' >/dev/null
}

# Sets PG_VERSION to the newest major version that has a cluster "main", or else to the
# newest installed server version (for which a cluster still has to be created).
detect_version() {
  PG_VERSION="$(pg_lsclusters -h 2>/dev/null | awk -v c="$CLUSTER" '$2 == c { print $1 }' | sort -V | tail -n1)"
  if [[ -z "$PG_VERSION" ]]; then
    PG_VERSION="$(find /usr/lib/postgresql -mindepth 3 -maxdepth 3 -path '*/bin/postgres' 2>/dev/null \
      | awk -F/ '{ print $5 }' | sort -V | tail -n1)"
  fi
  [[ -n "$PG_VERSION" ]] || die "no PostgreSQL server version found under /usr/lib/postgresql"
}

cluster_exists() {
  pg_lsclusters -h 2>/dev/null | awk -v v="$PG_VERSION" -v c="$CLUSTER" '$1 == v && $2 == c { f = 1 } END { exit !f }'
}

# pg_ctlcluster status: 0 running, 3 down (anything else is an error we treat as down).
is_running() {
  [[ -n "$PG_VERSION" ]] || return 1
  pg_ctlcluster "$PG_VERSION" "$CLUSTER" status >/dev/null 2>&1
}

is_ready() {
  pg_isready -q -h "$PG_HOST" -p "$PG_PORT" -t 2
}

# ---------------------------------------------------------------------------------------
# Steps of `start`
# ---------------------------------------------------------------------------------------

# A fresh machine may lack PostgreSQL; Debian's package creates and (with policy-rc.d
# blocking service starts) does not start the cluster, which we do ourselves below.
ensure_installed() {
  is_installed && return 0
  apt_install postgresql
  is_installed || die "PostgreSQL still missing after apt-get install postgresql"
}

ensure_cluster() {
  detect_version
  cluster_exists && return 0
  log "creating cluster $PG_VERSION/$CLUSTER"
  pg_createcluster "$PG_VERSION" "$CLUSTER" --port "$PG_PORT" >&2
}

# Makes the cluster listen on 127.0.0.1:5432 and use password auth for TCP from 127.0.0.1.
# Prints "restart", "reload" or nothing, depending on what a running server needs.
ensure_config() {
  local conf_dir="/etc/postgresql/$PG_VERSION/$CLUSTER" action="" port listen
  local hba="$conf_dir/pg_hba.conf"

  port="$(pg_conftool -s "$PG_VERSION" "$CLUSTER" show port 2>/dev/null || echo 5432)"
  if [[ "$port" != "$PG_PORT" ]]; then
    log "setting port $PG_PORT (was $port)"
    pg_conftool "$PG_VERSION" "$CLUSTER" set port "$PG_PORT" >&2
    action="restart"
  fi

  # Unset means the built-in default 'localhost', which includes 127.0.0.1.
  listen="$(pg_conftool -s "$PG_VERSION" "$CLUSTER" show listen_addresses 2>/dev/null || echo localhost)"
  if ! grep -Eq '(^|[ ,])(localhost|127\.0\.0\.1|\*|0\.0\.0\.0)($|[ ,])' <<<"$listen"; then
    log "setting listen_addresses to 'localhost' (was '$listen')"
    pg_conftool "$PG_VERSION" "$CLUSTER" set listen_addresses localhost >&2
    action="restart"
  fi

  # Debian's default already has this line; only repair a pg_hba that lost it. Inserted
  # as the first rule so no earlier trust/reject/peer rule shadows it.
  if ! grep -Eq '^[[:space:]]*host[[:space:]]+all[[:space:]]+all[[:space:]]+127\.0\.0\.1/32[[:space:]]+(scram-sha-256|md5)' "$hba"; then
    log "adding 'host all all 127.0.0.1/32 scram-sha-256' to $hba"
    sed -i '0,/^[[:space:]]*[^#[:space:]]/s//# added by scripts\/infra\/postgres.sh: password auth over TCP\nhost all all 127.0.0.1\/32 scram-sha-256\n&/' "$hba"
    [[ -n "$action" ]] || action="reload"
  fi
  echo "$action"
}

start_cluster() {
  log "starting cluster $PG_VERSION/$CLUSTER"
  pg_ctlcluster "$PG_VERSION" "$CLUSTER" start </dev/null >&2 9>&- \
    || { tail -n 30 "/var/log/postgresql/postgresql-$PG_VERSION-$CLUSTER.log" >&2 || true; die "pg_ctlcluster start failed"; }
}

wait_until_ready() {
  if ! wait_for is_ready "$START_TIMEOUT"; then
    tail -n 30 "/var/log/postgresql/postgresql-$PG_VERSION-$CLUSTER.log" >&2 || true
    die "PostgreSQL does not answer on $PG_HOST:$PG_PORT after ${START_TIMEOUT} s"
  fi
}

# The test suite connects as this superuser to create and drop throw-away databases.
# The password is (re)set every time so a changed CRM_PG_ADMIN_PASSWORD takes effect.
ensure_admin_role() {
  psql_su -d postgres -v role="$ADMIN_ROLE" -v pw="$ADMIN_PASSWORD" <<'SQL'
SELECT format('CREATE ROLE %I', :'role')
 WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'role') \gexec
SELECT format('ALTER ROLE %I WITH SUPERUSER LOGIN PASSWORD %L', :'role', :'pw') \gexec
SQL
}

# ---------------------------------------------------------------------------------------
# Commands
# ---------------------------------------------------------------------------------------

cmd_start() {
  local started=$SECONDS action
  take_lock
  ensure_installed
  ensure_cluster
  action="$(ensure_config)"
  if is_running; then
    case "$action" in
      restart)
        log "restarting $PG_VERSION/$CLUSTER for the configuration change"
        pg_ctlcluster "$PG_VERSION" "$CLUSTER" restart </dev/null >&2 9>&-
        ;;
      reload) pg_ctlcluster "$PG_VERSION" "$CLUSTER" reload >&2 ;;
    esac
  else
    start_cluster
  fi
  wait_until_ready
  ensure_admin_role
  log "running: PostgreSQL $PG_VERSION/$CLUSTER on $PG_HOST:$PG_PORT (superuser $ADMIN_ROLE) [$((SECONDS - started)) s]"
}

cmd_stop() {
  take_lock
  if ! is_installed; then
    log "not installed"
    return 0
  fi
  detect_version
  if ! is_running; then
    log "not running"
    return 0
  fi
  log "stopping cluster $PG_VERSION/$CLUSTER"
  pg_ctlcluster "$PG_VERSION" "$CLUSTER" stop >&2
  log "stopped"
}

cmd_status() {
  if is_installed; then
    detect_version
    if is_running; then
      echo "running (PostgreSQL $PG_VERSION/$CLUSTER, $PG_HOST:$PG_PORT)"
      return 0
    fi
  fi
  echo "stopped"
  return 3
}

# Creates (or brings up to date) the role and database of one service. Names are
# restricted to plain lower-case identifiers: they become role, database and env-var names.
cmd_ensure_db() {
  local name="$1"
  [[ "$name" =~ ^[a-z_][a-z0-9_]*$ ]] || die "invalid database name '$name' (use [a-z_][a-z0-9_]*)"
  local pw_var="CRM_PG_PASSWORD_${name^^}"
  local password="${!pw_var:-$name}"

  take_lock
  detect_version
  is_running || die "PostgreSQL is not running (run: scripts/infra/postgres.sh start)"

  # CREATE DATABASE cannot run inside a transaction; psql autocommits each \gexec statement.
  psql_su -d postgres -v name="$name" -v pw="$password" <<'SQL'
SELECT format('CREATE ROLE %I', :'name')
 WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'name') \gexec
SELECT format('ALTER ROLE %I WITH LOGIN PASSWORD %L', :'name', :'pw') \gexec
SELECT format('CREATE DATABASE %I OWNER %I', :'name', :'name')
 WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = :'name') \gexec
SELECT format('ALTER DATABASE %I OWNER TO %I', :'name', :'name')
  FROM pg_database d JOIN pg_roles r ON r.oid = d.datdba
 WHERE d.datname = :'name' AND r.rolname <> :'name' \gexec
SQL
  # Creating an extension needs a superuser, so it is done here rather than in the
  # service's migrations (which run as the service's own role). pg_trgm: trigram indexes
  # for fuzzy text search. client_min_messages hides the "already exists, skipping" notice.
  psql_su -d "$name" -c 'SET client_min_messages = warning' -c 'CREATE EXTENSION IF NOT EXISTS pg_trgm'
  log "database $name ready (owner $name) on $PG_HOST:$PG_PORT"
}

usage() {
  echo "usage: $0 start|stop|status|ensure-db NAME" >&2
  exit 2
}

main() {
  [[ $# -ge 1 ]] || usage
  case "$1" in
    start | stop | ensure-db)
      [[ $EUID -eq 0 ]] || die "must run as root (installs packages, runs psql as postgres)"
      ;;
  esac
  case "$1" in
    start) [[ $# -eq 1 ]] || usage; cmd_start ;;
    stop) [[ $# -eq 1 ]] || usage; cmd_stop ;;
    status) [[ $# -eq 1 ]] || usage; cmd_status ;;
    ensure-db) [[ $# -eq 2 ]] || usage; cmd_ensure_db "$2" ;;
    *) usage ;;
  esac
}

main "$@"
