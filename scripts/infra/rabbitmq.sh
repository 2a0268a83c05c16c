#!/usr/bin/env bash
# Install, start, stop and report the local RabbitMQ used for development and tests.
#
# Usage: scripts/infra/rabbitmq.sh start|stop|status
#
#   start   install if missing, enable the management plugin, start the node detached if it
#           is not running, wait until it has booted (AMQP 5672, management UI 15672)
#   stop    stop the node and wait until its process is gone (no error if it is down)
#   status  print running/stopped; exit 0 if running, 3 if stopped
#
# Why it looks like this:
#   * No Docker and no systemd on this machine kind: we run Debian's rabbitmq-server package
#     directly with `rabbitmq-server -detached` (the package's own service start is blocked
#     by policy-rc.d, which is fine). The Debian wrappers switch to the rabbitmq user.
#   * The management plugin is enabled offline before the first start, so no restart is
#     needed; on a node that is already running it is enabled online.
#   * The default guest/guest user works from localhost, which is all development and the
#     tests need; no users are created.
#
# Environment:
#   RABBITMQ_START_TIMEOUT   seconds to wait for the node to boot (default 120)

set -euo pipefail

LOG_PREFIX="rabbitmq"
# shellcheck source=scripts/infra/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

readonly AMQP_PORT="5672"
readonly MGMT_URL="http://127.0.0.1:15672"
readonly START_TIMEOUT="${RABBITMQ_START_TIMEOUT:-120}"
readonly ENABLED_PLUGINS_FILE="/etc/rabbitmq/enabled_plugins"
readonly LOG_DIR="/var/log/rabbitmq"
# Output of `rabbitmq-server -detached` (the node's own log is $LOG_DIR/rabbit@<host>.log).
readonly START_LOG="$LOG_DIR/crm-start.log"
# Serialises start/stop of concurrent callers (e.g. two clones running tests).
readonly LOCK_FILE="/tmp/crm-rabbitmq.lock"
# Sourced by the node's start script as the rabbitmq user (see ensure_file_limit).
readonly ENV_FILE="/etc/rabbitmq/rabbitmq-env.conf"
readonly FILE_LIMIT_LINE='ulimit -S -n "$(ulimit -H -n)"  # crm: see scripts/infra/rabbitmq.sh'

# ---------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------

# Anything that starts the node must close fd 9 (`9>&-`): the Erlang VM would otherwise
# inherit it and hold the lock for as long as it runs.
take_lock() {
  exec 9>"$LOCK_FILE"
  flock -w 300 9 || die "timed out waiting for $LOCK_FILE"
}

is_installed() {
  command -v rabbitmq-server >/dev/null && command -v rabbitmqctl >/dev/null
}

# Cheapest reliable liveness check (~1 s: it starts a small Erlang CLI VM).
is_running() {
  is_installed && rabbitmq-diagnostics -q ping >/dev/null 2>&1
}

# The Erlang VM of the node (beam.smp running as rabbitmq with the rabbit app).
node_process_alive() {
  pgrep -u rabbitmq -f 'beam\.smp.*-s rabbit boot' >/dev/null 2>&1
}

show_log_tail() {
  local f
  for f in "$START_LOG" "$LOG_DIR/rabbit@$(hostname -s).log"; do
    [[ -s "$f" ]] || continue
    log "---- last lines of $f ----"
    tail -n 30 "$f" >&2
  done
}

# ---------------------------------------------------------------------------------------
# Steps of `start`
# ---------------------------------------------------------------------------------------

ensure_installed() {
  is_installed && return 0
  apt_install rabbitmq-server
  is_installed || die "rabbitmq-server still missing after apt-get install"
}

# The node is named rabbit@<short hostname>, and Erlang distribution (used by rabbitmqctl)
# must resolve that name. Containers sometimes get a hostname missing from /etc/hosts.
ensure_hostname_resolves() {
  local host
  host="$(hostname -s)"
  getent hosts "$host" >/dev/null 2>&1 && return 0
  log "hostname '$host' does not resolve; adding it to /etc/hosts as 127.0.0.1"
  echo "127.0.0.1 $host" >>/etc/hosts
}

# The Debian wrapper starts the node through `su rabbitmq`, whose pam_limits gives it a soft
# limit of 1,024 open files. Booting, the node reopens every durable queue, and with more
# queues than file handles (1,348 against 927 once, after a day of tests and benchmarks) it
# stalled in recovery and never finished booting. The start script sources $ENV_FILE in
# the shell that execs the VM, so raising the soft limit to the hard one there (20,000 on
# this machine kind; a container may not raise the hard one) reaches the node.
ensure_file_limit() {
  [[ -f "$ENV_FILE" ]] && grep -qxF "$FILE_LIMIT_LINE" "$ENV_FILE" && return 0
  log "raising the node's open-file limit to the hard limit ($ENV_FILE)"
  mkdir -p "$(dirname "$ENV_FILE")"
  echo "$FILE_LIMIT_LINE" >>"$ENV_FILE"
}

plugin_enabled_in_file() {
  [[ -f "$ENABLED_PLUGINS_FILE" ]] && grep -q 'rabbitmq_management' "$ENABLED_PLUGINS_FILE"
}

# Offline (just writes enabled_plugins) when the node is down, so the first boot already
# has the UI; online when it is up, which starts the plugin without a restart.
ensure_management_plugin() {
  local running="$1"
  plugin_enabled_in_file && return 0
  if [[ "$running" == yes ]]; then
    log "enabling rabbitmq_management on the running node"
    rabbitmq-plugins enable rabbitmq_management >&2 9>&-
  else
    log "enabling rabbitmq_management (offline)"
    rabbitmq-plugins --offline enable rabbitmq_management >&2
  fi
}

launch() {
  log "starting node rabbit@$(hostname -s)"
  mkdir -p "$LOG_DIR"
  # Own output file, stdin from /dev/null and fd 9 closed: the detached VM must not hold
  # the caller's terminal/pipe (e.g. `scripts/test.sh | tee`) or our lock open.
  rabbitmq-server -detached </dev/null >>"$START_LOG" 2>&1 9>&- \
    || { show_log_tail; die "rabbitmq-server -detached failed"; }
}

wait_until_booted() {
  # await_startup needs the node to be reachable first; right after -detached it may not be.
  if ! wait_for is_running "$START_TIMEOUT"; then
    show_log_tail
    die "node did not answer ping within ${START_TIMEOUT} s"
  fi
  if ! rabbitmqctl await_startup --timeout "$START_TIMEOUT" >/dev/null 2>&1; then
    show_log_tail
    die "node did not finish booting within ${START_TIMEOUT} s"
  fi
  # The management listener is part of boot, but check what developers will actually open.
  if ! wait_for "curl -fsS -o /dev/null -u guest:guest $MGMT_URL/api/overview" 30; then
    show_log_tail
    die "management UI does not answer on $MGMT_URL"
  fi
}

# Tests and benchmarks declare their queues under `test.` and `bench.` exchanges and remove them
# when they end; a run that is killed cannot. The broker drops such a queue itself after an hour
# without consumers or declarations, so leftovers never pile up (see ensure_file_limit).
ensure_scratch_queue_expiry() {
  curl -fsS -o /dev/null -u guest:guest "$MGMT_URL/api/policies/%2F/crm-scratch-queues" 2>/dev/null && return 0
  log "setting the expiry policy of test and benchmark queues"
  rabbitmqctl set_policy --apply-to queues crm-scratch-queues '^(test|bench)\.' '{"expires": 3600000}' \
    >/dev/null 2>&1 9>&- || die "could not set the expiry policy of test and benchmark queues"
}

# ---------------------------------------------------------------------------------------
# Commands
# ---------------------------------------------------------------------------------------

cmd_start() {
  local started=$SECONDS
  # Fast path: a running node with the UI enabled needs nothing but the policy, kept in its database
  # (no lock, one ping, one HTTP request; a node started by an older script gets the policy here).
  if is_running && plugin_enabled_in_file; then
    ensure_scratch_queue_expiry
    log "already running (amqp://guest:guest@127.0.0.1:$AMQP_PORT/, management $MGMT_URL)"
    return 0
  fi
  take_lock
  ensure_installed
  command -v curl >/dev/null || apt_install curl
  if is_running; then   # started meanwhile by another caller, or the plugin was missing
    ensure_management_plugin yes
  else
    ensure_hostname_resolves
    ensure_file_limit
    ensure_management_plugin no
    launch
  fi
  wait_until_booted
  ensure_scratch_queue_expiry
  log "running: amqp://guest:guest@127.0.0.1:$AMQP_PORT/, management $MGMT_URL (guest/guest) [$((SECONDS - started)) s]"
}

cmd_stop() {
  take_lock
  if ! is_running; then
    log "not running"
    return 0
  fi
  log "stopping node"
  rabbitmqctl stop >/dev/null 2>&1 9>&- || true
  # `rabbitmqctl stop` returns once the node has been told to stop; wait for the VM to exit
  # so that a following start does not race the old node for the ports.
  if ! wait_for "! node_process_alive" 60; then
    die "node process still alive 60 s after rabbitmqctl stop"
  fi
  log "stopped"
}

cmd_status() {
  if is_running; then
    echo "running (amqp://127.0.0.1:$AMQP_PORT/, management $MGMT_URL)"
    return 0
  fi
  echo "stopped"
  return 3
}

usage() {
  echo "usage: $0 start|stop|status" >&2
  exit 2
}

main() {
  [[ $# -eq 1 ]] || usage
  case "$1" in
    start | stop)
      [[ $EUID -eq 0 ]] || die "must run as root (installs packages, runs the node as rabbitmq)"
      "cmd_$1"
      ;;
    status) cmd_status ;;
    *) usage ;;
  esac
}

main "$@"
