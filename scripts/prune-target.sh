#!/usr/bin/env bash
# Keeps the shared build directory within the disk: every checkout path (this clone, CI's fresh
# clones) builds its own ~700 MB test executables, and a debug build's incremental caches grow
# with every edit. Keeps only the newest executable of each name in target/debug/deps (cargo
# rebuilds one it needs and finds missing), drops incremental sessions untouched for a day
# (all of them when under 20 GB is free), and says how much disk is left.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

deps="$CARGO_TARGET_DIR/debug/deps"
if [ -d "$deps" ]; then
    # Test and binary executables are named <name>-<16 hex digits> with no extension. (awk
    # strips the hash with `+`, not `{16}`: Debian's mawk has no interval expressions, and
    # with them nothing matched and nothing was ever pruned.)
    find "$deps" -maxdepth 1 -type f -perm -u+x -regextype posix-extended \
        -regex '.*/[a-z0-9_]+-[0-9a-f]{16}' -printf '%T@ %p\n' |
        sort -rn |
        awk '{ name = $2; sub(/-[0-9a-f]+$/, "", name); if (seen[name]++) print $2 }' |
        xargs -r rm -f
fi
if [ -d "$CARGO_TARGET_DIR/debug/incremental" ]; then
    find "$CARGO_TARGET_DIR/debug/incremental" -mindepth 1 -maxdepth 1 -type d -mtime +0 \
        -exec rm -rf {} +
fi
free_gb=$(df -P --block-size=1G "$CARGO_TARGET_DIR" | awk 'NR == 2 { print $4 }')
# Incremental caches of a day of edits reached 15-18 GB, enough to fill the disk during a
# test build (and then nothing, not even a shell, could start). They are only a cache: when
# space is short they all go, and the next build is a full one.
if [ "$free_gb" -lt 20 ] && [ -d "$CARGO_TARGET_DIR/debug/incremental" ]; then
    find "$CARGO_TARGET_DIR/debug/incremental" -mindepth 1 -maxdepth 1 -type d -exec rm -rf {} +
    free_gb=$(df -P --block-size=1G "$CARGO_TARGET_DIR" | awk 'NR == 2 { print $4 }')
fi
log "build directory pruned: ${free_gb} GB free"
if [ "$free_gb" -lt 20 ]; then
    log "warning: under 20 GB free; a full build and test run needs about 30 GB"
fi
