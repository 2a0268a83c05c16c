#!/usr/bin/env bash
# Install, start, stop and report a local single-node OpenSearch for development and tests.
#
# Usage: scripts/infra/opensearch.sh start|stop|status|url
#
#   start   install if needed, start if not already answering, wait for health yellow/green
#   stop    stop the node this script started (pid file); no error if it is not running
#   status  print running/stopped; exit 0 if running, 3 if stopped
#   url     print the HTTP address (http://127.0.0.1:${OPENSEARCH_PORT:-9200})
#
# Why it looks like this:
#   * This machine kind has no Docker engine and no general internet, only package registries.
#     The only OpenSearch distribution on Maven Central is the "integ-test-zip": a plain zip
#     without bundled JDK and with just one module (transport-netty4). We run it on the
#     machine's JDK and assemble the modules we need (analysis-common, lang-painless,
#     mapper-extras) by hand from the jars OpenSearch publishes to Maven Central.
#   * Everything is fetched through mvn, so it is cached in ~/.m2: a second install (e.g.
#     after deleting the install folder) works without network.
#   * The install lives outside the repository (${CRM_INFRA_HOME:-/opt/crm-infra}) so that
#     several clones on one machine share it. All clones sharing CRM_INFRA_HOME share one
#     node (one data folder, one pid file).
#   * OpenSearch refuses to run as root, so it runs as a dedicated system user.
#
# Environment:
#   OPENSEARCH_PORT            HTTP port (default 9200)
#   CRM_INFRA_HOME             where install, data, logs and pid file live (default /opt/crm-infra)
#   OPENSEARCH_HEAP            JVM heap (default 512m)
#   OPENSEARCH_START_TIMEOUT   seconds to wait for health yellow/green (default 90)
#   OPENSEARCH_JAVA_HOME       JDK to use (default: found automatically, Java 17 preferred)

set -euo pipefail
# The service user must be able to read the install; do not inherit a restrictive umask.
umask 022

readonly OS_VERSION="2.19.1"
readonly PORT="${OPENSEARCH_PORT:-9200}"
readonly INFRA_HOME="${CRM_INFRA_HOME:-/opt/crm-infra}"
readonly INSTALL_DIR="${INFRA_HOME}/opensearch-${OS_VERSION}"
readonly DATA_DIR="${INFRA_HOME}/opensearch-data"
readonly LOG_DIR="${INFRA_HOME}/opensearch-logs"
# The pid file is written by OpenSearch itself (running as OS_USER), so it lives in a
# folder that user owns.
readonly PID_FILE="${LOG_DIR}/opensearch.pid"
readonly STARTUP_LOG="${LOG_DIR}/startup.log"
readonly LOCK_FILE="${INFRA_HOME}/.opensearch.lock"
readonly CLUSTER_NAME="opensearch"
readonly MAIN_LOG="${LOG_DIR}/${CLUSTER_NAME}.log"   # OpenSearch names its log after the cluster
readonly OS_USER="opensearch"
readonly HEAP="${OPENSEARCH_HEAP:-512m}"
readonly START_TIMEOUT="${OPENSEARCH_START_TIMEOUT:-90}"
readonly URL="http://127.0.0.1:${PORT}"
# Pinned so mvn never has to look up plugin metadata online (keeps re-installs offline).
readonly MVN_DEPENDENCY_PLUGIN="org.apache.maven.plugins:maven-dependency-plugin:3.6.1"

# Everything fetched from Maven Central, as "target|groupId:artifactId:version[:type]".
# target "dist" is the distribution zip; any other target is a folder under modules/.
# The versions of antlr and asm are the ones lang-painless 2.19.1 is built against.
readonly ARTIFACTS=(
  "dist|org.opensearch.distribution.integ-test-zip:opensearch:${OS_VERSION}:zip"
  "analysis-common|org.opensearch.plugin:analysis-common:${OS_VERSION}"
  "lang-painless|org.opensearch.plugin:lang-painless:${OS_VERSION}"
  "lang-painless|org.opensearch.plugin:opensearch-scripting-painless-spi:${OS_VERSION}"
  "lang-painless|org.antlr:antlr4-runtime:4.13.1"
  "lang-painless|org.ow2.asm:asm:9.7"
  "lang-painless|org.ow2.asm:asm-util:9.7"
  "lang-painless|org.ow2.asm:asm-tree:9.7"
  "lang-painless|org.ow2.asm:asm-commons:9.7"
  "lang-painless|org.ow2.asm:asm-analysis:9.7"
  "mapper-extras|org.opensearch.plugin:mapper-extras-client:${OS_VERSION}"
)

log() { echo "[opensearch] $*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# ---------------------------------------------------------------------------------------
# Prerequisites
# ---------------------------------------------------------------------------------------

APT_UPDATED=0
apt_install() {
  command -v apt-get >/dev/null || die "need to install $*, but apt-get is not available"
  if [[ $APT_UPDATED -eq 0 ]]; then
    log "apt-get update"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
    APT_UPDATED=1
  fi
  log "apt-get install $*"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >&2
}

# Prints the Java feature version (11, 17, 21, ...) of the JDK/JRE at $1.
java_feature_version() {
  "$1/bin/java" -XshowSettings:properties -version 2>&1 \
    | sed -n 's/^ *java\.specification\.version = \([0-9]*\).*/\1/p' | head -n1
}

# Prints a JDK home usable by OpenSearch 2.x (Java >= 11), preferring Java 17, or nothing.
find_java_home() {
  local candidates=() cand java_bin
  [[ -n "${OPENSEARCH_JAVA_HOME:-}" ]] && candidates+=("$OPENSEARCH_JAVA_HOME")
  candidates+=(/usr/lib/jvm/java-17-openjdk-*)
  if java_bin="$(command -v java)"; then
    java_bin="$(readlink -f "$java_bin")"
    candidates+=("${java_bin%/bin/java}")
  fi
  [[ -n "${JAVA_HOME:-}" ]] && candidates+=("$JAVA_HOME")
  for cand in "${candidates[@]}"; do
    [[ -x "$cand/bin/java" ]] || continue
    local v
    v="$(java_feature_version "$cand")"
    if [[ -n "$v" && "$v" -ge 11 ]]; then
      echo "$cand"
      return 0
    fi
  done
  return 0
}

ensure_prerequisites() {
  local missing=()
  [[ -n "$(find_java_home)" ]] || missing+=(openjdk-17-jre-headless)
  command -v mvn >/dev/null || missing+=(maven)
  command -v curl >/dev/null || missing+=(curl)
  # bin/opensearch -d calls `ps -p` to check the daemon came up; we use pgrep (both procps).
  command -v ps >/dev/null && command -v pgrep >/dev/null || missing+=(procps)
  command -v flock >/dev/null && command -v setsid >/dev/null && command -v runuser >/dev/null \
    || missing+=(util-linux)
  if [[ ${#missing[@]} -gt 0 ]]; then
    apt_install "${missing[@]}"
  fi
  JAVA_DIR="$(find_java_home)"
  [[ -n "$JAVA_DIR" ]] || die "no Java >= 11 found even after installing openjdk-17-jre-headless"
}

# OpenSearch refuses to run as root: run it as a dedicated system user.
ensure_user() {
  if ! id -u "$OS_USER" >/dev/null 2>&1; then
    log "creating system user $OS_USER"
    useradd --system --user-group --no-create-home --home-dir /nonexistent \
      --shell /usr/sbin/nologin "$OS_USER"
  fi
}

# Data and logs live outside the install folder so re-installs keep the indices.
ensure_state_dirs() {
  local d
  for d in "$DATA_DIR" "$LOG_DIR"; do
    mkdir -p "$d"
    # chown -R only when needed: the data folder can be large.
    if [[ "$(stat -c %U "$d")" != "$OS_USER" ]]; then
      chown -R "$OS_USER:$OS_USER" "$d"
    fi
  done
}

# ---------------------------------------------------------------------------------------
# Install
# ---------------------------------------------------------------------------------------

# Copies every artifact in ARTIFACTS into $1 with one mvn call (a throw-away pom listing
# them as dependencies without transitive ones). Tries offline first so a re-install
# needs no network once ~/.m2 holds everything.
fetch_artifacts() {
  local out="$1" work="$1/.mvn-work" entry gav g a v t
  mkdir -p "$work"
  {
    echo '<project xmlns="http://maven.apache.org/POM/4.0.0">'
    echo '  <modelVersion>4.0.0</modelVersion>'
    echo '  <groupId>local.crm-infra</groupId><artifactId>opensearch-fetch</artifactId>'
    echo '  <version>1</version><packaging>pom</packaging>'
    echo '  <dependencies>'
    for entry in "${ARTIFACTS[@]}"; do
      gav="${entry#*|}"
      IFS=: read -r g a v t <<<"$gav"
      echo "    <dependency><groupId>$g</groupId><artifactId>$a</artifactId><version>$v</version>"
      echo "      <type>${t:-jar}</type>"
      echo '      <exclusions><exclusion><groupId>*</groupId><artifactId>*</artifactId></exclusion></exclusions>'
      echo '    </dependency>'
    done
    echo '  </dependencies>'
    echo '</project>'
  } >"$work/pom.xml"

  local mvn_args=(-B -q -Dstyle.color=never -f "$work/pom.xml"
    "${MVN_DEPENDENCY_PLUGIN}:copy-dependencies" "-DoutputDirectory=$out/artifacts")
  if JAVA_HOME="$JAVA_DIR" mvn -o "${mvn_args[@]}" >"$work/mvn-offline.log" 2>&1; then
    log "artefacts taken from the local Maven repository (offline)"
  else
    log "fetching artefacts from Maven Central (mvn)"
    JAVA_HOME="$JAVA_DIR" mvn "${mvn_args[@]}" >"$work/mvn.log" 2>&1 \
      || { tail -n 30 "$work/mvn.log" >&2; die "mvn could not fetch the OpenSearch artefacts"; }
  fi
  rm -rf "$work"
}

# Prints the file name mvn gives "g:a:v[:type]" in the output folder.
artifact_file() {
  local g a v t
  IFS=: read -r g a v t <<<"$1"
  echo "$a-$v.${t:-jar}"
}

unpack_zip() {
  local zip="$1" dest="$2"
  if command -v unzip >/dev/null; then
    unzip -q "$zip" -d "$dest"
  else
    # python's zipfile drops the executable bits; restored in install().
    python3 -m zipfile -e "$zip" "$dest"
  fi
}

# Writes modules/<name>/plugin-descriptor.properties using the zip's own
# transport-netty4 descriptor as template, so keys and format (java.version,
# opensearch.version, ...) match what this OpenSearch build expects.
write_descriptor() {
  local home="$1" name="$2" classname="$3" extended="$4" description="$5"
  awk -v name="$name" -v classname="$classname" -v extended="$extended" \
      -v description="$description" '
    /^description=/        { print "description=" description; next }
    /^name=/               { print "name=" name; next }
    /^classname=/          { print "classname=" classname; next }
    /^extended\.plugins=/  { print "extended.plugins=" extended; next }
    /^custom\.foldername=/ { print "custom.foldername="; next }
    /^has\.native\.controller=/ { print "has.native.controller=false"; next }
    { print }
  ' "$home/modules/transport-netty4/plugin-descriptor.properties" \
    >"$home/modules/$name/plugin-descriptor.properties"
}

# The integ-test zip ships only transport-netty4; these are the stock modules of the full
# distribution that our search code needs (analyzers such as asciifolding / edge_ngram /
# norwegian / pattern_replace, painless scripts, search_as_you_type).
assemble_modules() {
  local home="$1" artifacts="$2" entry target
  for entry in "${ARTIFACTS[@]}"; do
    target="${entry%%|*}"
    [[ "$target" == dist ]] && continue
    mkdir -p "$home/modules/$target"
    cp "$artifacts/$(artifact_file "${entry#*|}")" "$home/modules/$target/"
  done

  write_descriptor "$home" analysis-common org.opensearch.analysis.common.CommonAnalysisPlugin \
    lang-painless 'Adds "built in" analyzers to OpenSearch.'
  write_descriptor "$home" lang-painless org.opensearch.painless.PainlessPlugin \
    '' 'An easy, safe and fast scripting language for OpenSearch'
  write_descriptor "$home" mapper-extras org.opensearch.index.mapper.MapperExtrasPlugin \
    '' 'Adds advanced field mappers'

  # Painless compiles scripts into classes at runtime, which the security manager only
  # allows with these grants (same as the policy of the full distribution's module).
  cat >"$home/modules/lang-painless/plugin-security.policy" <<'EOF'
grant {
  // needed to generate runtime classes
  permission java.lang.RuntimePermission "createClassLoader";

  // needed to find the classloader to load allowlisted classes from
  permission java.lang.RuntimePermission "getClassLoader";
};
EOF
}

# jvm.options points heap dumps, JVM error files and the GC log at folders relative to the
# install folder; send them to the data/log folders, which the service user can write.
patch_jvm_options() {
  local opts="$1/config/jvm.options"
  sed -i \
    -e "s|^-XX:HeapDumpPath=data$|-XX:HeapDumpPath=${DATA_DIR}|" \
    -e "s|^-XX:ErrorFile=logs/|-XX:ErrorFile=${LOG_DIR}/|" \
    -e "s|file=logs/gc.log|file=${LOG_DIR}/gc.log|" \
    "$opts"
}

is_installed() {
  [[ -x "$INSTALL_DIR/bin/opensearch" && -f "$INSTALL_DIR/.install-complete" ]]
}

# Builds the install in a temporary folder and renames it at the end, so an interrupted
# install is never mistaken for a complete one.
install() {
  is_installed && return 0
  local started=$SECONDS tmp
  log "installing OpenSearch ${OS_VERSION} into ${INSTALL_DIR}"
  mkdir -p "$INFRA_HOME"
  rm -rf "${INSTALL_DIR}".tmp.*            # leftovers of interrupted installs (we hold the lock)
  tmp="${INSTALL_DIR}.tmp.$$"
  mkdir -p "$tmp"

  fetch_artifacts "$tmp"
  unpack_zip "$tmp/artifacts/$(artifact_file "${ARTIFACTS[0]#*|}")" "$tmp/unpacked"
  local home="$tmp/unpacked/opensearch-${OS_VERSION}"
  [[ -f "$home/modules/transport-netty4/plugin-descriptor.properties" ]] \
    || die "unexpected zip layout: $home/modules/transport-netty4 missing"
  chmod 755 "$home"/bin/*

  assemble_modules "$home" "$tmp/artifacts"
  patch_jvm_options "$home"
  # OpenSearch writes into its config folder (e.g. creates opensearch.keystore).
  chown -R "$OS_USER:$OS_USER" "$home/config"
  touch "$home/.install-complete"

  rm -rf "$INSTALL_DIR"
  mv "$home" "$INSTALL_DIR"
  rm -rf "$tmp"
  log "installed in $((SECONDS - started)) s"
}

# ---------------------------------------------------------------------------------------
# Process control
# ---------------------------------------------------------------------------------------

# Prints the pid of the node this script started, or fails if it is not alive.
# Uses the pid file (checking the pid really is OpenSearch, pids get reused), and falls
# back to the command line: OpenSearch writes the pid file only part-way through startup
# and deletes it when it exits, so the file alone cannot tell "starting" from "died".
running_pid() {
  local pid=""
  if [[ -f "$PID_FILE" ]]; then
    pid="$(tr -dc '0-9' <"$PID_FILE")"
    if [[ -n "$pid" && -r "/proc/$pid/cmdline" ]] \
      && tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q 'org.opensearch.bootstrap.OpenSearch'; then
      echo "$pid"
      return 0
    fi
  fi
  pid="$(pgrep -u "$OS_USER" -f "org[.]opensearch[.]bootstrap[.]OpenSearch .*-p ${PID_FILE}" | head -n1)" || true
  [[ -n "$pid" ]] || return 1
  echo "$pid"
}

# Prints the cluster health status (green/yellow/red) or fails if nothing answers.
health_status() {
  local body
  body="$(curl -s --max-time 2 "$URL/_cluster/health" 2>/dev/null)" || return 1
  sed -n 's/.*"status":"\([a-z]*\)".*/\1/p' <<<"$body" | grep .
}

is_healthy() {
  local s
  s="$(health_status)" || return 1
  [[ "$s" == green || "$s" == yellow ]]
}

# Line count of the main log when this start began, so a failure shows only this attempt.
MAIN_LOG_MARK=0
mark_main_log() {
  MAIN_LOG_MARK=0
  if [[ -f "$MAIN_LOG" ]]; then MAIN_LOG_MARK="$(wc -l <"$MAIN_LOG")"; fi
}

show_log_tail() {
  if [[ -s "$STARTUP_LOG" ]]; then
    log "---- last lines of $STARTUP_LOG ----"
    tail -n 40 "$STARTUP_LOG" >&2
  fi
  if [[ -f "$MAIN_LOG" ]] && (( $(wc -l <"$MAIN_LOG") > MAIN_LOG_MARK )); then
    log "---- last lines of $MAIN_LOG (this start) ----"
    tail -n "+$((MAIN_LOG_MARK + 1))" "$MAIN_LOG" | tail -n 40 >&2
  fi
}

launch() {
  log "starting OpenSearch on $URL (heap $HEAP, java $JAVA_DIR)"
  rm -f "$PID_FILE"
  mark_main_log
  : >"$STARTUP_LOG"
  chown "$OS_USER:$OS_USER" "$STARTUP_LOG"
  # setsid: own session, so the node survives the caller's terminal / process group
  # being killed. -d -p: OpenSearch daemonises itself and writes its own pid.
  # 9>&-: the daemon must not inherit the lock descriptor, or it would hold the lock forever.
  # Bootstrap checks (vm.max_map_count etc.) are not enforced with single-node discovery
  # on loopback, which matters because containers often cannot raise max_map_count.
  (
    cd "$INSTALL_DIR"
    setsid -w runuser -u "$OS_USER" -- env \
      OPENSEARCH_JAVA_HOME="$JAVA_DIR" \
      OPENSEARCH_JAVA_OPTS="-Xms${HEAP} -Xmx${HEAP}" \
      "$INSTALL_DIR/bin/opensearch" -d -p "$PID_FILE" \
        -Ecluster.name="$CLUSTER_NAME" \
        -Enetwork.host=127.0.0.1 \
        -Ehttp.port="$PORT" \
        -Ediscovery.type=single-node \
        -Epath.data="$DATA_DIR" \
        -Epath.logs="$LOG_DIR" \
        -Ecluster.routing.allocation.disk.threshold_enabled=false
  ) </dev/null >>"$STARTUP_LOG" 2>&1 9>&- || { show_log_tail; die "bin/opensearch failed to launch"; }
}

wait_until_healthy() {
  local deadline=$((SECONDS + START_TIMEOUT))
  while ((SECONDS < deadline)); do
    if is_healthy; then
      log "up at $URL (health $(health_status), pid $(running_pid || echo '?'))"
      return 0
    fi
    # bin/opensearch -d returns only once the JVM is running, so from here on a missing
    # process means startup failed: stop waiting.
    if ! running_pid >/dev/null; then
      show_log_tail
      die "OpenSearch exited during startup"
    fi
    sleep 1
  done
  show_log_tail
  die "OpenSearch did not reach health yellow/green on $URL within ${START_TIMEOUT} s"
}

# Serialises start/stop across clones and concurrent callers sharing INFRA_HOME.
take_lock() {
  mkdir -p "$INFRA_HOME"
  exec 9>"$LOCK_FILE"
  flock -w 900 9 || die "timed out waiting for $LOCK_FILE"
}

# ---------------------------------------------------------------------------------------
# Commands
# ---------------------------------------------------------------------------------------

cmd_start() {
  # Fast path: nothing to do if a node already answers (no lock, no Java probing).
  if is_healthy; then
    log "already running at $URL (health $(health_status))"
    return 0
  fi
  local started=$SECONDS
  ensure_prerequisites
  take_lock
  if is_healthy; then   # another caller started it while we waited for the lock
    log "already running at $URL (health $(health_status))"
    return 0
  fi
  ensure_user
  install
  ensure_state_dirs
  if running_pid >/dev/null; then
    log "process $(running_pid) exists but is not answering yet; waiting for it"
  else
    launch
  fi
  wait_until_healthy
  log "start took $((SECONDS - started)) s"
}

cmd_stop() {
  local pid
  take_lock
  if ! pid="$(running_pid)"; then
    rm -f "$PID_FILE"
    if is_healthy; then
      log "not started by this script (no live pid in $PID_FILE), but something answers on $URL; leaving it alone"
    else
      log "not running"
    fi
    return 0
  fi
  log "stopping pid $pid"
  kill -TERM "$pid" 2>/dev/null || true
  local deadline=$((SECONDS + 60))
  while kill -0 "$pid" 2>/dev/null; do
    if ((SECONDS >= deadline)); then
      log "still alive after 60 s; sending SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
      sleep 1
      break
    fi
    sleep 0.5
  done
  rm -f "$PID_FILE"
  log "stopped"
}

cmd_status() {
  local pid health
  pid="$(running_pid)" || pid=""
  health="$(health_status)" || health=""
  if [[ -n "$pid" || -n "$health" ]]; then
    echo "running (pid ${pid:-unknown}, $URL, health ${health:-not answering})"
    return 0
  fi
  echo "stopped"
  return 3
}

usage() {
  echo "usage: $0 start|stop|status|url" >&2
  exit 2
}

main() {
  [[ $# -eq 1 ]] || usage
  case "$1" in
    start | stop)
      [[ $EUID -eq 0 ]] || die "must run as root (creates a system user, installs under $INFRA_HOME)"
      "cmd_$1"
      ;;
    status) cmd_status ;;
    url) echo "$URL" ;;
    *) usage ;;
  esac
}

main "$@"
