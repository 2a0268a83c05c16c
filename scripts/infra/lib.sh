# shellcheck shell=bash
# Small helpers shared by the scripts under scripts/ (sourced, not executed).
#
# The sourcing script sets LOG_PREFIX (e.g. "postgres") before or after sourcing; every log
# line then starts with "[postgres]" so the output of up.sh / test.sh shows which step spoke.

# Repository root, whichever script sourced us and whatever the caller's cwd.
CRM_REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
export CRM_REPO_ROOT

LOG_PREFIX="${LOG_PREFIX:-crm}"

# Server tools (rabbitmqctl, runuser, ...) live in sbin, which a CI shell's PATH may lack.
export PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin"

# Logs go to stderr so that commands whose stdout is data (e.g. `opensearch.sh url`) stay clean.
log() { echo "[${LOG_PREFIX}] $*" >&2; }
die() {
  log "ERROR: $*"
  exit 1
}

# apt_install PKG... : installs the packages that are not installed yet. `apt-get update` runs
# at most once per run (a fresh machine has no package lists; a re-run must not hit the
# network when nothing is missing). The flag is exported so child scripts started by
# up.sh / test.sh share it.
apt_install() {
  local missing=() pkg
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
  done
  [[ ${#missing[@]} -eq 0 ]] && return 0
  command -v apt-get >/dev/null || die "need to install ${missing[*]}, but apt-get is not available"
  [[ $EUID -eq 0 ]] || die "need to install ${missing[*]}: run as root"
  if [[ "${CRM_APT_UPDATED:-0}" != 1 ]]; then
    log "apt-get update"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
    export CRM_APT_UPDATED=1
  fi
  log "apt-get install ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >&2
}

# wait_for "CMD" TIMEOUT_SECONDS : re-runs CMD (a string, run with eval so callers can pass
# pipelines) every 0.5 s until it succeeds; returns 1 on timeout. Output of CMD is discarded.
wait_for() {
  local cmd="$1" timeout="${2:-30}"
  local deadline=$((SECONDS + timeout))
  until eval "$cmd" >/dev/null 2>&1; do
    ((SECONDS < deadline)) || return 1
    sleep 0.5
  done
}

# ensure_uv : makes `uv` callable, installing it with pip when missing (the machine kind has
# Python via pyenv but not necessarily uv). pyenv only exposes a new console script after a
# rehash; `python3 -m uv` is the last resort.
UV=(uv)
ensure_uv() {
  command -v uv >/dev/null && return 0
  log "uv missing; pip install uv"
  python3 -m pip install -q uv >&2
  hash -r
  if ! command -v uv >/dev/null && command -v pyenv >/dev/null; then
    pyenv rehash
    hash -r
  fi
  command -v uv >/dev/null || UV=(python3 -m uv)
  "${UV[@]}" --version >/dev/null || die "uv still not usable after pip install uv"
}
