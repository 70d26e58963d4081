#!/usr/bin/env bash
# Dispatch throughput: `ferry-bench dispatch` (a fresh database, a customer, four batches --
# GSM-7 1-part, GSM-7 2-part, UCS-2 1-part, UCS-2 2-part, N/4 messages each -- and the
# dispatcher, until every message has its DELIVRD receipt applied), against either the counting
# npm-`smpp` SMSC (bench/smsc/counting-smsc.mjs, started here) or Ferry's in-process simulator.
#
# Usage: bench/dispatch.sh [--backend sqlite|postgres] [--smsc npm|simulator] [-n 50000]
#                          [--window W] [--connections C] [--timeline FILE] [--timeout S]
#                          [--keep-tmp]
#   --backend  sqlite (default) or postgres (a new database on the cluster at FERRY_TEST_PG_URL;
#              without it a throwaway cluster is started)
#   --smsc     npm (default) or simulator
#   --window W       the SMPP window of each connection (default 100)
#   --connections C  SMPP connections (binds) to the SMSC, messages spread across them (1)
#   --timeline FILE  JSON [{"t_s","accepted","receipts"}, ...] sampled every 250 ms from the
#              dispatcher's counters (messages accepted by the SMSC, receipts stored: one per part)
#   --timeout S      stop `ferry-bench dispatch` after S seconds (default 600) and fail: a
#              message that never completes would otherwise keep it waiting for its own 30 min
# Env: FERRY_BIN (default $CARGO_TARGET_DIR/release/ferry).
#
# Prints `ferry-bench dispatch`'s JSON line on stdout
#   {"kind":"dispatch","backend":..,"smsc":..,"messages":..,"parts":..,"accepted_s":..,
#    "accepted_per_s":..,"parts_per_s":..,"receipts_s":..,"receipts_per_s":..,"peak_rss_kb":..}
# with, for the npm SMSC, the SMSC's own counts added (smsc_submits, smsc_duplicate_submits --
# submit_sm for a part it had already received --, smsc_receipt_acks, smsc_peak_rss_kb), and
# loadavg_1m_at_start.
set -euo pipefail
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib.sh"

BACKEND=sqlite SMSC=npm N=50000 TIMELINE="" TIMEOUT=600 WINDOW=100 CONNECTIONS=1
while [ $# -gt 0 ]; do
  case "$1" in
    --backend) BACKEND="$2"; shift 2 ;;
    --smsc) SMSC="$2"; shift 2 ;;
    -n) N="$2"; shift 2 ;;
    --window) WINDOW="$2"; shift 2 ;;
    --connections) CONNECTIONS="$2"; shift 2 ;;
    --timeline) TIMELINE="$2"; shift 2 ;;
    --timeout) TIMEOUT="$2"; shift 2 ;;
    --keep-tmp) BENCH_KEEP_TMP=true; shift ;;
    -h|--help) sed -n '2,27p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "dispatch-bench: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done

bench_init dispatch-bench
check_ferry_bin
[ "$BACKEND" = postgres ] && ensure_pg
args=(dispatch --backend "$BACKEND" --messages "$N" --window "$WINDOW" --connections "$CONNECTIONS")
[ -n "$TIMELINE" ] && args+=(--timeline "$(realpath -m "$TIMELINE")")
case "$SMSC" in
  npm) start_smsc; args+=(--smsc "127.0.0.1:$SMSC_PORT") ;;
  simulator) args+=(--smsc simulator) ;;
  *) die "unknown --smsc $SMSC (npm or simulator)" ;;
esac

LOADAVG="$(cut -d' ' -f1 /proc/loadavg)"
bench_say "ferry-bench ${args[*]}"
rc=0
(cd "$BENCH_TMP" && timeout --signal=TERM --kill-after=10 "$TIMEOUT" "$FERRY_BENCH_BIN" "${args[@]}") \
  >"$BENCH_TMP/dispatch.json" 2> >(tee "$BENCH_TMP/dispatch.err" >&2) || rc=$?
[ "$rc" = 124 ] && die "ferry-bench dispatch did not finish in $TIMEOUT s"
[ "$rc" = 0 ] || die "ferry-bench dispatch failed (exit $rc): $(tail -n 5 "$BENCH_TMP/dispatch.err")"
LINE="$(grep '^{' "$BENCH_TMP/dispatch.json" | tail -n 1)"
[ -n "$LINE" ] || die "no JSON line from ferry-bench dispatch: $(cat "$BENCH_TMP/dispatch.json")"
# ferry-bench checks the whole ledger when the run ends; an inconsistent one fails the run.
python3 -c 'import json,sys; sys.exit(0 if json.loads(sys.argv[1])["ledger"]["consistent"] else 1)' "$LINE" \
  || die "the ledger is inconsistent after the run: $LINE"

EXTRA='{}'
if [ "$SMSC" = npm ]; then
  # The SMSC may still be counting the last deliver_sm_resp: give it a moment.
  for _ in $(seq 50); do
    smsc_stats >"$BENCH_TMP/smsc-final.json"
    python3 - "$BENCH_TMP/smsc-final.json" <<'EOF' && break
import json, sys
s = json.load(open(sys.argv[1]))
sys.exit(0 if s["receipt_acks"] >= s["submits"] else 1)
EOF
    sleep 0.1
  done
  EXTRA="$(python3 - "$BENCH_TMP/smsc-final.json" "$(vm_hwm_kb "$SMSC_PID")" <<'EOF'
import json, sys
s = json.load(open(sys.argv[1]))
print(json.dumps({"smsc_submits": s["submits"], "smsc_duplicate_submits": s.get("duplicate_submits"),
                  "smsc_receipt_acks": s["receipt_acks"],
                  "smsc_receipt_nacks": s["receipt_nacks"], "smsc_peak_rss_kb": int(sys.argv[2] or 0)}))
EOF
)"
fi
python3 - "$LINE" "$EXTRA" "$LOADAVG" "$(nproc)" <<'EOF'
import json, sys
d = json.loads(sys.argv[1])
d.update(json.loads(sys.argv[2]))
d["loadavg_1m_at_start"] = float(sys.argv[3])
d["cpus"] = int(sys.argv[4])
print(json.dumps(d))
EOF
