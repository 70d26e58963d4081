#!/usr/bin/env bash
# Ferry half of the peer benchmark: N single-message sends over the HTTP API (POST
# /api/v1/messages with an API key, one recipient each, concurrency C) to `ferry serve`, whose dispatcher
# sends them to the counting npm-`smpp` SMSC (bench/smsc/counting-smsc.mjs); the SMSC returns a
# DELIVRD receipt for each, and the run ends when Ferry has acknowledged (stored) all N receipts.
# The Kannel half is bench/kannel/run.sh: same SMSC, same numbers and texts, same concurrency.
#
# Usage: bench/ferry/run.sh [--backend sqlite|postgres] [-n N] [-c C] [--timeout S] [--keep-tmp]
#   --backend   sqlite (default: a file in a temp dir) or postgres (a new database on the cluster
#               at FERRY_TEST_PG_URL; without it a throwaway cluster is started)
#   -n N        messages (default 10000), each to a distinct number
#   -c C        requests in flight (default 100)
#   --timeout S seconds to wait for every submit and receipt after the last request (default 600)
#   --keep-tmp  keep the temp dir (config, database, logs) and print its path
#   --loadgen L rust (default; `ferry-bench load-ferry`) or node (loadgen.mjs): the same
#               requests; see server/src/bench/load.rs
# Env: FERRY_BIN (default $CARGO_TARGET_DIR/release/ferry), FERRY_SITE_OUT.
#
# Prints one JSON line on stdout:
#   {"peer":"ferry","backend":"sqlite","messages":10000,"http_rps":..,"accepted_per_s":..,
#    "receipts_per_s":..,"elapsed_s":..,"peak_rss_kb":.., ...detail fields}
# with the same definitions as the Kannel run: http_rps = N / (last response - first request);
# accepted_per_s = N / (last submit_sm at the SMSC - first request); receipts_per_s and
# elapsed_s = until the SMSC had Ferry's deliver_sm_resp for all N receipts; peak_rss_kb =
# VmHWM of the `ferry serve` process; cpu_us_per_message = user + system CPU over the load per
# message of `ferry serve`, the load generator and the SMSC, which share the machine's cores.
# Exits non-zero if anything was incomplete.
set -euo pipefail
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/../lib.sh"

BACKEND=sqlite N=10000 C=100 TIMEOUT=600 LOADGEN="${BENCH_LOADGEN:-rust}"
while [ $# -gt 0 ]; do
  case "$1" in
    --backend) BACKEND="$2"; shift 2 ;;
    -n) N="$2"; shift 2 ;;
    --loadgen) LOADGEN="$2"; shift 2 ;;
    -c) C="$2"; shift 2 ;;
    --timeout) TIMEOUT="$2"; shift 2 ;;
    --keep-tmp) BENCH_KEEP_TMP=true; shift ;;
    -h|--help) sed -n '2,26p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "ferry-bench: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done

bench_init ferry-bench
check_ferry_bin
start_smsc
new_database "$BACKEND"
start_ferry_serve
bench_say "ferry serve on 127.0.0.1:$FERRY_PORT ($BACKEND), SMSC 127.0.0.1:$SMSC_PORT; sending $N messages at concurrency $C"

LOADAVG="$(cut -d' ' -f1 /proc/loadavg)"
# CPU of `ferry serve` and of the SMSC over the load (the load generator reports its own).
CPU0_FERRY="$(cpu_ms "$FERRY_PID")" CPU0_SMSC="$(cpu_ms "$SMSC_PID")"
case "$LOADGEN" in
  rust) LOADGEN_CMD=("$FERRY_BENCH_BIN" load-ferry) ;;
  node) LOADGEN_CMD=(node "$BENCH_DIR/ferry/loadgen.mjs") ;;
  *) die "--loadgen is rust or node, not $LOADGEN" ;;
esac
"${LOADGEN_CMD[@]}" --url "http://127.0.0.1:$FERRY_PORT" --api-key "$FERRY_API_KEY" \
  --smsc-control "http://127.0.0.1:$SMSC_CONTROL" -n "$N" -c "$C" --timeout-s "$TIMEOUT" \
  >"$BENCH_TMP/loadgen.json" 2> >(tee "$BENCH_TMP/loadgen.err" >&2) &
LG_PID=$!
wait "$LG_PID" || die "load or receipts incomplete: $(cat "$BENCH_TMP/loadgen.json" 2>/dev/null)"
HWM="$(vm_hwm_kb "$FERRY_PID")"
CPU_FERRY=$(( $(cpu_ms "$FERRY_PID") - CPU0_FERRY )) CPU_SMSC=$(( $(cpu_ms "$SMSC_PID") - CPU0_SMSC ))
check_ledger
DB_BYTES=0
[ "$BACKEND" = sqlite ] && DB_BYTES="$(du -cb "$BENCH_TMP"/ferry.db* 2>/dev/null | awk 'END {print $1}')"

node -e '
  const fs = require("fs");
  const lg = JSON.parse(fs.readFileSync(process.argv[1]));
  const [backend, n, c, hwm, loadavg, cpus, dbBytes, ledgerFile, cpuFerry, cpuSmsc] = process.argv.slice(2);
  const ledger = JSON.parse(fs.readFileSync(ledgerFile));
  const N = Number(n), t0 = lg.first_request_ms, s = (ms) => (ms - t0) / 1000;
  const r = (x, d = 1) => Math.round(x * 10 ** d) / 10 ** d;
  console.log(JSON.stringify({
    peer: "ferry", backend, messages: N, loadgen: lg.loadgen ?? "node",
    http_rps: r(N / s(lg.last_response_ms)),
    accepted_per_s: r(N / s(lg.last_submit_ms)),
    receipts_per_s: r(N / s(lg.last_receipt_ack_ms)),
    elapsed_s: r(s(lg.last_receipt_ack_ms), 3),
    peak_rss_kb: Number(hwm),
    concurrency: Number(c),
    http_s: r(s(lg.last_response_ms), 3), accepted_s: r(s(lg.last_submit_ms), 3),
    smsc_submits: lg.smsc_submits, smsc_duplicate_submits: lg.smsc_duplicate_submits,
    smsc_receipt_acks: lg.smsc_receipt_acks,
    http_connections: lg.new_connections, sqlite_bytes_at_end: Number(dbBytes),
    loadavg_1m_at_start: Number(loadavg), cpus: Number(cpus),
    ledger_consistent: ledger.consistent, ledger_entries: ledger.entries,
    ledger_check_ms: r(ledger.check_ms),
    // CPU per message over the load, microseconds: the gateway, and the harness beside it on
    // the same cores (load generator, SMSC).
    cpu_us_per_message: {
      gateway: r(Number(cpuFerry) * 1000 / N, 0),
      load_generator: r(lg.loadgen_cpu_ms * 1000 / N, 0),
      smsc: r(Number(cpuSmsc) * 1000 / N, 0),
    },
  }));
' "$BENCH_TMP/loadgen.json" "$BACKEND" "$N" "$C" "$HWM" "$LOADAVG" "$(nproc)" "$DB_BYTES" "$BENCH_TMP/ledger.json" "$CPU_FERRY" "$CPU_SMSC"
