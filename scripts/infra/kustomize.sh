#!/usr/bin/env bash
# kustomize, for rendering deploy/k8s/overlays/* in the tests (tests/integration/test_deployment_files.py).
#
# Usage: scripts/infra/kustomize.sh path      prints the binary's path, installing it first if needed
#
# Installed with `go install` from the Go module proxy into .tools/bin/ of the repository (kept out of
# git), pinned below; a second call finds it there at once. KUSTOMIZE=/path/to/kustomize overrides.
# The first install compiles it: about a minute on 2 idle cores, more on a busy machine.

set -euo pipefail

LOG_PREFIX="kustomize"
# shellcheck source=scripts/infra/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

readonly VERSION="v5.5.0"
readonly BIN_DIR="$CRM_REPO_ROOT/.tools/bin"
readonly BIN="$BIN_DIR/kustomize"
readonly STAMP="$BIN_DIR/kustomize.version"

installed() {
  [[ -x "$BIN" && -f "$STAMP" && "$(cat "$STAMP")" == "$VERSION" ]]
}

install() {
  command -v go >/dev/null || die "Go is needed to install kustomize (apt-get install golang, or the machine's Go)"
  log "go install sigs.k8s.io/kustomize/kustomize/v5@$VERSION into $BIN_DIR"
  mkdir -p "$BIN_DIR"
  GOBIN="$BIN_DIR" GOFLAGS=-mod=mod go install "sigs.k8s.io/kustomize/kustomize/v5@$VERSION"
  echo "$VERSION" >"$STAMP"
}

main() {
  case "${1:-path}" in
    path)
      if [[ -n "${KUSTOMIZE:-}" ]]; then
        echo "$KUSTOMIZE"
        return 0
      fi
      installed || install
      echo "$BIN"
      ;;
    *)
      echo "usage: $0 path" >&2
      exit 2
      ;;
  esac
}

main "$@"
