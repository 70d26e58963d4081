#!/usr/bin/env bash
# Runs bench/kannel/run.sh R times with the same arguments and summarises the figures.
# Usage: bench/kannel/repeat.sh R [run.sh arguments...]
# stdout: each run's JSON line, then one summary JSON line
#   {"peer":"kannel","summary":true,"runs":R,"store_file":..,"dlr_storage":..,"messages":N,
#    "http_rps":{"min":..,"median":..,"max":..}, "accepted_per_s":{...}, "receipts_per_s":{...},
#    "elapsed_s":{...}, "peak_rss_kb":{...}}
set -euo pipefail
R="${1:?usage: repeat.sh RUNS [run.sh arguments...]}"
shift
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
OUT="$(mktemp)"
trap 'rm -f "$OUT"' EXIT
for ((k = 1; k <= R; k++)); do
  echo "repeat: run $k/$R" >&2
  "$HERE/run.sh" "$@" | tee -a "$OUT"
done
node -e '
  const runs = require("fs").readFileSync(process.argv[1], "utf8").trim().split("\n").map(JSON.parse);
  const stat = (k) => {
    const v = runs.map((r) => r[k]).sort((a, b) => a - b), m = v.length >> 1;
    return { min: v[0], median: v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2, max: v[v.length - 1] };
  };
  const f = runs[0];
  console.log(JSON.stringify({
    peer: "kannel", summary: true, runs: runs.length, store_file: f.store_file,
    dlr_storage: f.dlr_storage, messages: f.messages,
    ...Object.fromEntries(["http_rps", "accepted_per_s", "receipts_per_s", "elapsed_s", "peak_rss_kb"]
      .map((k) => [k, stat(k)])),
  }));
' "$OUT"
