#!/usr/bin/env bash
# HTTP intake: single-message sends per second into `ferry serve` over the HTTP API (POST
# /api/v1/messages with an API key, one recipient per request), with `wrk` (Debian package) at concurrency 50, while Ferry's
# dispatcher sends the messages on to the counting npm-`smpp` SMSC at the same time.
#
# Usage: bench/http-intake.sh [--backend sqlite|postgres] [-c 50] [-t 2] [-d 15] [--scheduled N]
#                             [--keep-tmp]
#   -c connections (default 50), -t wrk threads (default 2), -d seconds (default 15)
#   --scheduled N  first send one batch of N numbers (POST /api/v1/batches) scheduled a day
#                  ahead, so the account has N messages waiting while the load runs
# Env: FERRY_BIN, FERRY_SITE_OUT, FERRY_TEST_PG_URL (postgres; else a throwaway cluster).
#
# Prints one JSON line on stdout:
#   {"kind":"http_intake","backend":..,"requests":..,"requests_per_s":..,"latency_p50_ms":..,
#    "latency_p90_ms":..,"latency_p99_ms":..,"latency_max_ms":..,"non_2xx":..,"socket_errors":..,
#    "connections":50,"threads":2,"scheduled_waiting":..,"smsc_submits_during":..,"peak_rss_kb":..}
# Non-2xx responses are counted by the Lua response hook (bench/ferry/intake.lua); the run
# exits non-zero when there were any, after printing the line.
set -euo pipefail
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib.sh"

BACKEND=sqlite CONNS=50 THREADS=2 DURATION=15 SCHEDULED=0
while [ $# -gt 0 ]; do
  case "$1" in
    --backend) BACKEND="$2"; shift 2 ;;
    -c) CONNS="$2"; shift 2 ;;
    -t) THREADS="$2"; shift 2 ;;
    -d) DURATION="$2"; shift 2 ;;
    --scheduled) SCHEDULED="$2"; shift 2 ;;
    --keep-tmp) BENCH_KEEP_TMP=true; shift ;;
    -h|--help) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "http-intake: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
command -v wrk >/dev/null || apt_install wrk

bench_init http-intake
check_ferry_bin
start_smsc
new_database "$BACKEND"
start_ferry_serve
if [ "$SCHEDULED" -gt 0 ]; then
  python3 - "$FERRY_PORT" "$FERRY_API_KEY" "$SCHEDULED" <<'PY' >&2 || die "the scheduled batch was not accepted"
import datetime, json, sys, urllib.request
port, key, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
when = (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=1)).replace(microsecond=0)
body = json.dumps({"to": [f"+8526{2000000 + i:07d}" for i in range(n)], "text": "tomorrow",
                   "route": "hk_business", "sender_id": "FerryBench",
                   "schedule_at": when.isoformat()}).encode()
req = urllib.request.Request(f"http://127.0.0.1:{port}/api/v1/batches", data=body, method="POST",
                             headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"})
answer = json.loads(urllib.request.urlopen(req, timeout=300).read())
print(f"http-intake: batch {answer['batch_id']} of {answer['recipients']} numbers scheduled for {when}")
PY
fi
bench_say "wrk -t$THREADS -c$CONNS -d${DURATION}s against ferry serve on 127.0.0.1:$FERRY_PORT ($BACKEND)"

LOADAVG="$(cut -d' ' -f1 /proc/loadavg)"
FERRY_API_KEY="$FERRY_API_KEY" \
  wrk -t"$THREADS" -c"$CONNS" -d"${DURATION}s" --timeout 30s -s "$BENCH_DIR/ferry/intake.lua" \
  "http://127.0.0.1:$FERRY_PORT/api/v1/messages" >"$BENCH_TMP/wrk.out" 2>&1 &
WRK_PID=$!
wait "$WRK_PID" || die "wrk failed: $(cat "$BENCH_TMP/wrk.out")"
cat "$BENCH_TMP/wrk.out" >&2
HWM="$(vm_hwm_kb "$FERRY_PID")"
smsc_stats >"$BENCH_TMP/smsc-final.json"
check_ledger
LINE="$(grep '^{"kind":"http_intake"' "$BENCH_TMP/wrk.out" | tail -n 1)"
[ -n "$LINE" ] || die "no JSON line from wrk"
python3 - "$LINE" "$BACKEND" "$CONNS" "$THREADS" "$HWM" "$BENCH_TMP/smsc-final.json" "$LOADAVG" "$(nproc)" "$BENCH_TMP/ledger.json" "$SCHEDULED" <<'PY'
import json, sys
d = json.loads(sys.argv[1])
s = json.load(open(sys.argv[6]))
ledger = json.load(open(sys.argv[9]))
out = {"kind": d.pop("kind"), "backend": sys.argv[2]}
out.update(d)
out.update({"connections": int(sys.argv[3]), "threads": int(sys.argv[4]),
            "scheduled_waiting": int(sys.argv[10]),
            "smsc_submits_during": s["submits"], "peak_rss_kb": int(sys.argv[5] or 0),
            "loadavg_1m_at_start": float(sys.argv[7]), "cpus": int(sys.argv[8]),
            "ledger_consistent": ledger["consistent"], "ledger_check_ms": ledger["check_ms"]})
print(json.dumps(out))
sys.exit(1 if out["non_2xx"] or out["socket_errors"] else 0)
PY
