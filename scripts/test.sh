#!/usr/bin/env bash
# The README's test command: installs what is missing, checks formatting and lints, builds,
# starts a throwaway PostgreSQL, runs every Rust test against SQLite and PostgreSQL, then the
# browser tests in headless Chromium. Exits non-zero on any failure.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
start=$(date +%s)

"$FERRY_ROOT/scripts/setup.sh" --test
cd "$FERRY_ROOT"
"$FERRY_ROOT/scripts/prune-target.sh"

log "cargo fmt --check"
cargo fmt --all -- --check

log "cargo clippy (server side, browser side)"
cargo clippy -p sms -p smpp -p ferry-engine -p app --features app/ssr,ferry-engine/storage,server/bench -p server -p ferry-wasm-split --all-targets -- -D warnings
cargo clippy -p frontend --target wasm32-unknown-unknown -- -D warnings

"$FERRY_ROOT/scripts/build.sh" --dev
log "first-page download (WebAssembly and its JS, gzip) within 400 KB"
"$FERRY_ROOT/scripts/first-page-size.sh" "$FERRY_SITE_OUT/pkg" --check

source "$FERRY_ROOT/scripts/pg-cluster.sh"
export FERRY_REQUIRE_PG=1
# The SMPP interop tests must run against the real third-party peers, never skip.
export FERRY_REQUIRE_INTEROP=1
# schemathesis fuzzes the API from the OpenAPI document it serves (server/tests/openapi.rs).
export FERRY_SCHEMATHESIS="$HOME/.cache/ferry/venv/bin/schemathesis"
# zeep builds a SOAP client from the WSDL, xmlschema checks envelopes (server/tests/soap.rs).
export FERRY_PYTHON="$HOME/.cache/ferry/venv/bin/python"

log "cargo test (SQLite and PostgreSQL, SMPP over loopback)"
# server/bench: the benchmark harness (its load generator has tests of its own).
cargo test -p sms -p smpp -p ferry-engine -p app --features app/ssr,ferry-engine/storage,server/bench -p server

log "browser tests (headless Chromium)"
export FERRY_BIN="$CARGO_TARGET_DIR/debug/ferry"
export FERRY_SITE_DIR="$FERRY_SITE_OUT"
(cd "$FERRY_NODE_DIR" && node --test --test-concurrency=2 tests/*.test.mjs)

"$FERRY_ROOT/scripts/prune-target.sh"
log "all tests passed in $(( $(date +%s) - start )) s"
