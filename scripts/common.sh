# Shared by Ferry's scripts: paths and small helpers. Source it; do not run it.
set -euo pipefail

FERRY_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# Builds live outside the clone so CI and fresh clones reuse them.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/ferry/target}"
FERRY_SITE_OUT="${FERRY_SITE_OUT:-$CARGO_TARGET_DIR/site}"
FERRY_NODE_DIR="$FERRY_ROOT/end2end"
# The API fuzzer the test command runs (pinned: its checks change between releases).
SCHEMATHESIS_VERSION=4.32.5

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# Runs apt-get install for the packages given, refreshing the package lists once per run.
apt_install() {
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    if [ -z "${FERRY_APT_UPDATED:-}" ]; then
        log "apt-get update"
        $sudo apt-get update -qq
        FERRY_APT_UPDATED=1
    fi
    log "apt-get install $*"
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "$@" >/dev/null
}

# The wasm-bindgen version pinned in Cargo.lock: the CLI must match it exactly.
locked_wasm_bindgen_version() {
    awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' "$FERRY_ROOT/Cargo.lock"
}
