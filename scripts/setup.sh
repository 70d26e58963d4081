#!/usr/bin/env bash
# Installs what building Ferry needs, idempotently; with --test also what its tests need.
# Quick when everything is already there (each step checks before it installs).
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

want_test=0
[ "${1:-}" = "--test" ] && want_test=1

command -v cargo >/dev/null || die "cargo not found: install Rust with rustup first (https://rustup.rs)"

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
    log "rustup target add wasm32-unknown-unknown"
    rustup target add wasm32-unknown-unknown
fi

# Lock the dependency graph before reading the wasm-bindgen version from it.
[ -f "$FERRY_ROOT/Cargo.lock" ] || (cd "$FERRY_ROOT" && cargo generate-lockfile)
wbg_version="$(locked_wasm_bindgen_version)"
[ -n "$wbg_version" ] || die "wasm-bindgen is not in Cargo.lock"
if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$wbg_version" ]; then
    # Not --locked: the CLI's own lockfile pins a crate version the registry no longer serves.
    log "cargo install wasm-bindgen-cli $wbg_version (one-off, a few minutes)"
    cargo install wasm-bindgen-cli --version "$wbg_version"
fi

missing=()
command -v node >/dev/null || missing+=(nodejs)
command -v npm >/dev/null || missing+=(npm)
command -v gzip >/dev/null || missing+=(gzip)
command -v brotli >/dev/null || missing+=(brotli)
if [ "$want_test" = 1 ]; then
    [ -x /usr/bin/chromium ] || missing+=(chromium)
    # The browser tests read the codes Ferry sends by SMS from its SQLite file.
    command -v sqlite3 >/dev/null || missing+=(sqlite3)
    # Chinese pages in Chromium (tests and screenshots): without a CJK font they draw boxes.
    [ -d /usr/share/fonts/opentype/noto ] && ls /usr/share/fonts/opentype/noto/NotoSansCJK* >/dev/null 2>&1 \
        || missing+=(fonts-noto-cjk)
    python3 -c 'import venv, ensurepip' 2>/dev/null || missing+=(python3-venv)
    ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
fi
[ "${#missing[@]}" -eq 0 ] || apt_install "${missing[@]}"

# wasm-opt comes from npm's binaryen (Debian's is too old for rustc's output) and the browser
# driver is playwright-core (it never downloads a browser; tests use Debian's Chromium).
if [ ! -x "$FERRY_NODE_DIR/node_modules/.bin/wasm-opt" ] \
    || [ ! -d "$FERRY_NODE_DIR/node_modules/playwright-core" ] \
    || [ "$FERRY_NODE_DIR/package-lock.json" -nt "$FERRY_NODE_DIR/node_modules/.package-lock.json" ]; then
    log "npm ci (end2end/)"
    (cd "$FERRY_NODE_DIR" && npm ci --no-audit --no-fund --loglevel=error)
fi

# Third-party peers of the tests, in a venv of ours: PyPI's smpplib (an ESME we did not write)
# for the SMPP interop tests, schemathesis, which fuzzes the API from its OpenAPI document, and
# zeep (a SOAP client built from the WSDL) with xmlschema (an XSD validator) for the SOAP tests,
# and aiosmtpd, the mail relay the email API's answers go through in its tests.
if [ "$want_test" = 1 ]; then
    venv="$HOME/.cache/ferry/venv"
    if ! "$venv/bin/python" -c 'import smpplib, zeep, xmlschema, aiosmtpd' 2>/dev/null \
        || [ "$("$venv/bin/schemathesis" --version 2>/dev/null)" != "schemathesis, version $SCHEMATHESIS_VERSION" ]; then
        log "python venv with smpplib, zeep, xmlschema, aiosmtpd and schemathesis $SCHEMATHESIS_VERSION ($venv)"
        python3 -m venv "$venv"
        "$venv/bin/pip" install --quiet --disable-pip-version-check smpplib zeep==4.3.3 xmlschema==4.3.2 aiosmtpd==1.4.6 \
            "schemathesis==$SCHEMATHESIS_VERSION"
    fi
fi
