#!/usr/bin/env bash
# Builds Ferry: the browser half (WASM → wasm-bindgen → wasm-opt, CSS, assets, precompressed)
# and the `ferry` server binary. Usage: build.sh [--release|--dev]   (default --release)
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

profile="release"
[ "${1:-}" = "--dev" ] && profile="dev"

cd "$FERRY_ROOT"
pkg="$FERRY_SITE_OUT/pkg"
mkdir -p "$pkg"

log "building the browser half (wasm32, size-optimised)"
cargo build -p frontend --lib --target wasm32-unknown-unknown --profile wasm-release
raw_wasm="$CARGO_TARGET_DIR/wasm32-unknown-unknown/wasm-release/frontend.wasm"
stage="$CARGO_TARGET_DIR/site-stage"
rm -rf "$stage" && mkdir -p "$stage"
wasm-bindgen --target web --no-typescript --out-dir "$stage" --out-name ferry "$raw_wasm"
"$FERRY_NODE_DIR/node_modules/.bin/wasm-opt" -Oz \
    --enable-bulk-memory --enable-reference-types --enable-nontrapping-float-to-int \
    --enable-sign-ext --enable-mutable-globals --enable-multivalue \
    "$stage/ferry_bg.wasm" -o "$stage/ferry_bg.opt.wasm"
mv "$stage/ferry_bg.opt.wasm" "$stage/ferry_bg.wasm"
cp "$stage/ferry.js" "$stage/ferry_bg.wasm" "$pkg/"
cp "$FERRY_ROOT/style/main.css" "$pkg/ferry.css"
cp -r "$FERRY_ROOT/public/." "$FERRY_SITE_OUT/"
for f in "$pkg/ferry.js" "$pkg/ferry_bg.wasm" "$pkg/ferry.css"; do
    gzip -9 -k -f "$f"
    brotli -q 11 -f -o "$f.br" "$f"
done
log "site: $(stat -c %s "$pkg/ferry_bg.wasm") bytes wasm, $(stat -c %s "$pkg/ferry_bg.wasm.gz") gzip, $(stat -c %s "$pkg/ferry_bg.wasm.br") brotli"

log "building the ferry server ($profile)"
if [ "$profile" = release ]; then
    cargo build -p server --bin ferry --release
else
    cargo build -p server --bin ferry
fi
