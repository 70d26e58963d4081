#!/usr/bin/env bash
# What the browser downloads, gzip-compressed, before each group of pages is interactive: the
# main module with its JS, plus the lazy modules the group's split needs (from the manifest the
# build wrote). The first page a customer opens is sign-in (`/` sends visitors there), in the
# visitor group. Usage: first-page-size.sh <pkg dir> [--check]   (--check: fail above the limit)
set -euo pipefail
pkg="$1"
check="${2:-}"
limit=400000
python3 - "$pkg" "$check" "$limit" <<'PY'
import json, os, sys
pkg, check, limit = sys.argv[1], sys.argv[2], int(sys.argv[3])

def gz(name):
    return os.path.getsize(os.path.join(pkg, name + ".gz"))

loader = [f for f in os.listdir(pkg) if f.startswith("__wasm_split.") and f.endswith(".js")]
main = gz("ferry_bg.wasm") + gz("ferry.js") + sum(gz(f) for f in loader)
with open(os.path.join(pkg, "__wasm_split_manifest.json")) as f:
    manifest = json.load(f)
groups = {}
# One split per page group, named after it (app/src/lib.rs, `page_group!`).
for group, files in manifest.items():
    groups[group] = (len(files), sum(gz(stem + ".wasm") for stem in files))
print(f"main module and loader: {main:,} B gzip")
for group, (count, size) in sorted(groups.items()):
    print(f"  {group}: +{size:,} B in {count} files = {main + size:,} B")
if "visitor_pages" not in groups:
    sys.exit("first-page-size: no visitor_pages split in the manifest")
first = main + groups["visitor_pages"][1]
print(f"first page (sign-in): {first:,} B gzip of WebAssembly and its JS (limit {limit:,})")
if check == "--check" and first > limit:
    sys.exit(f"first-page-size: the first page downloads {first:,} B gzip, over the {limit:,} B limit")
PY
