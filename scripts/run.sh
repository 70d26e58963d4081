#!/usr/bin/env bash
# The README's run command: installs what is missing, builds, and starts Ferry at
# http://127.0.0.1:3000 with SQLite in ./data. Extra arguments go to `ferry serve`.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

"$FERRY_ROOT/scripts/setup.sh"
"$FERRY_ROOT/scripts/build.sh" --release

cd "$FERRY_ROOT"
export FERRY_SITE_DIR="$FERRY_SITE_OUT"
export FERRY_DATA_DIR="${FERRY_DATA_DIR:-$FERRY_ROOT/data}"
exec "$CARGO_TARGET_DIR/release/ferry" serve "$@"
