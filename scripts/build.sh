#!/usr/bin/env bash
# Builds Ferry: the browser half (WASM → wasm-bindgen → wasm-opt, CSS, assets, precompressed)
# and the `ferry` server binary. Usage: build.sh [--release|--dev]   (default --release)
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

profile="release"
[ "${1:-}" = "--dev" ] && profile="dev"

cd "$FERRY_ROOT"
pkg="$FERRY_SITE_OUT/pkg"
mkdir -p "$pkg"

log "building the browser half (wasm32, size-optimised, split at its lazy routes)"
# .cargo/config.toml links the wasm with --emit-relocs, which the split needs.
cargo build -p frontend --lib --target wasm32-unknown-unknown --profile wasm-release
cargo build -p ferry-wasm-split --release
raw_wasm="$CARGO_TARGET_DIR/wasm32-unknown-unknown/wasm-release/frontend.wasm"
stage="$CARGO_TARGET_DIR/site-stage"
rm -rf "$stage" && mkdir -p "$stage/split"
# Split before wasm-bindgen and wasm-opt: both drop the relocations it reads. It writes the lazy
# modules, their loader and the manifest the server preloads from into $stage/split.
"$CARGO_TARGET_DIR/release/ferry-wasm-split" "$raw_wasm" "$stage/split" "$stage/main.wasm" ferry
# --keep-lld-exports: the lazy modules find the main module's memory and table by those names.
wasm-bindgen --target web --no-typescript --keep-lld-exports --no-demangle \
    --out-dir "$stage/split" --out-name ferry "$stage/main.wasm"
for f in "$stage"/split/*.wasm; do
    printf '%s\0' "$f"
done | xargs -0 -P "$(nproc)" -I{} "$FERRY_NODE_DIR/node_modules/.bin/wasm-opt" -Oz \
    --enable-bulk-memory --enable-reference-types --enable-nontrapping-float-to-int \
    --enable-sign-ext --enable-mutable-globals --enable-multivalue {} -o {}
# The files of one build belong together: clear the previous build's modules first.
rm -rf "$pkg" && mkdir -p "$pkg"
cp "$stage"/split/* "$pkg/"
cp "$FERRY_ROOT/style/main.css" "$pkg/ferry.css"
cp -r "$FERRY_ROOT/public/." "$FERRY_SITE_OUT/"
for f in "$pkg"/*.js "$pkg"/*.wasm "$pkg/ferry.css"; do
    gzip -9 -k -f "$f"
    brotli -q 11 -f -o "$f.br" "$f"
done
log "site: $(stat -c %s "$pkg/ferry_bg.wasm") bytes main wasm, $(stat -c %s "$pkg/ferry_bg.wasm.gz") gzip, $(stat -c %s "$pkg/ferry_bg.wasm.br") brotli"
"$FERRY_ROOT/scripts/first-page-size.sh" "$pkg"

log "building the ferry server ($profile)"
if [ "$profile" = release ]; then
    cargo build -p server --bin ferry --release
else
    cargo build -p server --bin ferry
fi
