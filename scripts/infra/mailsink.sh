#!/usr/bin/env bash
# Start, stop and report the local mail sink the portal sends its invitations and reset links to.
#
# Usage: scripts/infra/mailsink.sh start|stop|status
#
#   start   run the sink (aiosmtpd, `python -m portal.mailsink`) on 127.0.0.1:8025 unless it runs;
#           every message it receives is written to .run/mail/ as an .eml file and, decoded, as
#           a .txt file beside it (the invitation or reset link is in it)
#   stop    stop it (no error if it is down)
#   status  print running/stopped; exit 0 if running, 3 if stopped
#
# The portal's defaults (SMTP_HOST=127.0.0.1, SMTP_PORT=8025) send to it. The pid file lives in
# .run/mailsink/ (not .run/*.pid, which down.sh reads as the services').

set -euo pipefail

LOG_PREFIX="mailsink"
# shellcheck source=scripts/infra/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

readonly ROOT="$CRM_REPO_ROOT"
readonly DIR="$ROOT/.run/mailsink"
readonly PID_FILE="$DIR/pid"
readonly MAIL_DIR="$ROOT/.run/mail"
readonly PORT="${MAILSINK_PORT:-8025}"

sink_pid() {
  [[ -f "$PID_FILE" ]] || return 1
  local pid
  pid="$(tr -dc '0-9' <"$PID_FILE")"
  [[ -n "$pid" && -r "/proc/$pid/cmdline" ]] || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q -- "portal.mailsink" || return 1
  echo "$pid"
}

listening() { (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; }

start() {
  local pid
  if pid="$(sink_pid)"; then
    log "running (pid $pid), mail in $MAIL_DIR"
    return 0
  fi
  mkdir -p "$DIR" "$MAIL_DIR"
  (
    cd "$ROOT"
    exec setsid nohup "${UV[@]}" run --frozen python -m portal.mailsink --port "$PORT" --dir "$MAIL_DIR" \
      </dev/null >>"$DIR/log" 2>&1
  ) &
  echo $! >"$PID_FILE"
  wait_for listening 30 || die "the mail sink did not listen on 127.0.0.1:$PORT (log: $DIR/log)"
  log "SMTP on 127.0.0.1:$PORT, mail in $MAIL_DIR"
}

stop() {
  local pid
  if ! pid="$(sink_pid)"; then
    log "not running"
    rm -f "$PID_FILE"
    return 0
  fi
  kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
  wait_for "! kill -0 $pid" 10 || kill -KILL -- "-$pid" 2>/dev/null || true
  rm -f "$PID_FILE"
  log "stopped"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) if sink_pid >/dev/null; then echo running; else echo stopped; exit 3; fi ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
