#!/usr/bin/env bash
# Kannel half of the peer benchmark: N single-message HTTP sendsms requests (concurrency C)
# through Kannel (bearerbox + smsbox, Debian package `kannel`) to the counting npm-`smpp` SMSC
# (bench/smsc/counting-smsc.mjs), which acknowledges every submit_sm and returns a DELIVRD
# receipt for each; Kannel hands every final receipt to a local HTTP sink (bench/kannel/loadgen.mjs).
#
# Usage: bench/kannel/run.sh [-n N] [-c C] [--store-file] [--dlr-sqlite] [--tx-rx]
#                            [--receipt-delay-ms MS] [--dlr-mask M] [--timeout S]
#                            [--log-level L] [--to-base B] [--keep-tmp]
#   -n N          messages (default 10000), each to a distinct number
#   -c C          sendsms requests in flight (default 100)
#   --store-file  bearerbox keeps its message queue in a store file (store-type = file);
#                 without it the queue lives only in memory
#   --dlr-sqlite  keep pending delivery reports in SQLite (dlr-storage = sqlite3, a file in the
#                 temp dir) instead of memory; with --store-file this is Kannel fully on disk
#   --tx-rx       bind_transmitter + bind_receiver (two connections) instead of one
#                 bind_transceiver
#   --receipt-delay-ms MS  the SMSC sends each receipt MS ms after its submit_sm_resp (default
#                 0); --tx-rx needs some (e.g. 200), see README
#   --dlr-mask M  Kannel dlr-mask per message (default 31: all report types; the sink waits for
#                 type 1, the final DELIVRD)
#   --timeout S   seconds to wait for all final receipts after the last request (default 600)
#   --log-level L bearerbox/smsbox log level (default 1 = info; 0 debug logs every PDU)
#   --to-base B   message i goes to number B + i (default 85260000000; bench/run.sh passes
#                 85261000000, the numbers Ferry's half uses)
#   --keep-tmp    keep the temp dir (config, logs, store file) and print its path
#   --loadgen L   rust (default; `ferry-bench load-kannel`, built with the bench) or node
#                 (loadgen.mjs): the same requests and sink; see server/src/bench/load.rs
#
# Prints one JSON line on stdout:
#   {"peer":"kannel","store_file":false,"messages":10000,"http_rps":..,"accepted_per_s":..,
#    "receipts_per_s":..,"elapsed_s":..,"peak_rss_kb":..,  ...extra detail fields}
#   cpu_us_per_message = user + system CPU per message over the load of bearerbox + smsbox,
#   the load generator (with the delivery-report sink) and the SMSC, which share the cores.
# Progress and errors go to stderr. Exits non-zero (with the reason and log tails) if anything
# fails, e.g. not every request was accepted or not every receipt arrived in time.
# Installs what it needs (kannel, nodejs, npm, curl, and the `smpp` npm package in end2end/) if
# missing. Everything it starts is stopped and its temp dir removed on exit, even on failure.
set -euo pipefail
# For cpu_ms only: this script keeps its own process handling (say, stop, die, cleanup below).
# shellcheck source=../lib.sh
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/../lib.sh"

N=10000
C=100
STORE_FILE=false
DLR_STORAGE=internal
TX_RX=false
RECEIPT_DELAY_MS=0
DLR_MASK=31
TIMEOUT=600
LOG_LEVEL=1
TO_BASE=85260000000
KEEP_TMP=false
LOADGEN="${BENCH_LOADGEN:-rust}"
while [ $# -gt 0 ]; do
  case "$1" in
    -n) N="$2"; shift 2 ;;
    --loadgen) LOADGEN="$2"; shift 2 ;;
    -c) C="$2"; shift 2 ;;
    --store-file) STORE_FILE=true; shift ;;
    --dlr-sqlite) DLR_STORAGE=sqlite3; shift ;;
    --tx-rx) TX_RX=true; shift ;;
    --receipt-delay-ms) RECEIPT_DELAY_MS="$2"; shift 2 ;;
    --dlr-mask) DLR_MASK="$2"; shift 2 ;;
    --timeout) TIMEOUT="$2"; shift 2 ;;
    --log-level) LOG_LEVEL="$2"; shift 2 ;;
    --to-base) TO_BASE="$2"; shift 2 ;;
    --keep-tmp) KEEP_TMP=true; shift ;;
    -h|--help) sed -n '2,36p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "kannel-bench: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
say() { echo "kannel-bench: $*" >&2; }

# ---- install what is missing -------------------------------------------------------------------
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
BEARERBOX=/usr/sbin/bearerbox
SMSBOX=/usr/sbin/smsbox
missing=()
[ -x "$BEARERBOX" ] && [ -x "$SMSBOX" ] || missing+=(kannel)
command -v node >/dev/null || missing+=(nodejs)
command -v npm >/dev/null || missing+=(npm)
command -v curl >/dev/null || missing+=(curl)
if [ "$DLR_STORAGE" = sqlite3 ]; then command -v sqlite3 >/dev/null || missing+=(sqlite3); fi
if [ ${#missing[@]} -gt 0 ]; then
  say "installing ${missing[*]}"
  $SUDO apt-get update -qq >&2
  # The Debian package's init script may start its own bearerbox with /etc/kannel/kannel.conf
  # (admin port 13000); ours uses its own config and free ports, so the two do not collide.
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >&2
fi
if ! (cd "$ROOT/end2end" && node -e "require.resolve('smpp')" 2>/dev/null); then
  say "installing end2end npm packages (for smpp)"
  (cd "$ROOT/end2end" && npm ci --no-audit --no-fund >&2)
fi

# ---- temp dir, processes, cleanup --------------------------------------------------------------
TMP="$(mktemp -d "${TMPDIR:-/tmp}/kannel-bench.XXXXXX")"
SMSC_PID="" BB_PID="" SB_PID="" LG_PID=""
stop() { # stop PID [seconds]: TERM, wait, then KILL
  local pid="$1" secs="${2:-10}" i
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < secs * 10; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  stop "$LG_PID" 2
  stop "$SB_PID" 10
  stop "$BB_PID" 15
  stop "$SMSC_PID" 5
  if [ "$rc" != 0 ]; then
    for f in bearerbox.log smsbox.log bearerbox.out smsbox.out smsc.err loadgen.err; do
      [ -s "$TMP/$f" ] && { say "--- last lines of $f"; tail -n 15 "$TMP/$f" >&2; }
    done
  fi
  if $KEEP_TMP; then say "kept $TMP"; else rm -rf "$TMP"; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
die() { say "FAILED: $*"; exit 1; }

# Three free loopback ports for bearerbox's admin and box ports and smsbox's sendsms port.
read -r ADMIN_PORT BOX_PORT SENDSMS_PORT < <(node -e '
  const net = require("net"); const ports = []; const servers = [];
  (function next() {
    if (ports.length === 3) { servers.forEach(s => s.close()); console.log(ports.join(" ")); return; }
    const s = net.createServer().listen(0, "127.0.0.1", () => { ports.push(s.address().port); servers.push(s); next(); });
  })();')
ADMIN_PW="bench-$$"

# ---- the SMSC ----------------------------------------------------------------------------------
node "$HERE/../smsc/counting-smsc.mjs" --port 0 --control-port 0 --stats "$TMP/smsc-stats.json" \
  --receipt-delay-ms "$RECEIPT_DELAY_MS" \
  >"$TMP/smsc.out" 2>"$TMP/smsc.err" &
SMSC_PID=$!
for _ in $(seq 100); do grep -q '^control ' "$TMP/smsc.out" 2>/dev/null && break; sleep 0.1; done
SMSC_PORT="$(awk '$1 == "listening" {print $2}' "$TMP/smsc.out")"
CONTROL_PORT="$(awk '$1 == "control" {print $2}' "$TMP/smsc.out")"
[ -n "$SMSC_PORT" ] && [ -n "$CONTROL_PORT" ] || die "the counting SMSC did not start"

# ---- kannel.conf -------------------------------------------------------------------------------
STORE_LINES="# no store-file: bearerbox keeps queued messages in memory only"
if $STORE_FILE; then
  # store-type = file: every message accepted from smsbox is appended to this file (with
  # fflush, no fsync) and removed again when the SMSC acknowledged it; the file is rewritten
  # from memory every store-dump-freq seconds (default 10). On restart bearerbox replays it.
  STORE_LINES="store-type = file
store-location = \"$TMP/kannel.store\""
fi
# An SMPP smsc group; $1 = the lines that choose the bind(s).
smsc_group() {
  cat <<EOF
group = smsc
smsc = smpp
smsc-id = bench
host = 127.0.0.1
$1
smsc-username = "kannel"
smsc-password = "bench"
# system-type is mandatory in Kannel's SMPP module (it refuses to start without it).
system-type = "VMA"
interface-version = 34
# Up to 100 submit_sm awaiting submit_sm_resp (Kannel's default is 10): the same window as Ferry.
max-pending-submits = 100
# The SMSC's message ids are hex in both submit_sm_resp (bit 1) and the receipt's id: field
# (bit 2). Kannel converts both to decimal before storing/matching the DLR, so ids such as
# "10000" (hex) are not read as decimal on one side only.
msg-id-type = 0x03
enquire-link-interval = 30
reconnect-delay = 1
# No throughput limit (unset = unlimited); wait up to 60 s for a submit_sm_resp.
wait-ack = 60
EOF
}
if $TX_RX; then
  # Kannel 1.4.5 refuses port and receive-port in one group ("deprecated"), so separate binds
  # are two groups with the same smsc-id (DLRs are matched by smsc-id, so a receipt arriving
  # on the receiver finds the DLR stored by the transmitter). allowed-smsc-id on the receiver
  # keeps Kannel from routing messages to it (it cannot send).
  SMSC_GROUPS="$(smsc_group "port = $SMSC_PORT")

$(smsc_group "receive-port = $SMSC_PORT
allowed-smsc-id = receive-only")"
  SMSC_LINKS=2
else
  # One bind_transceiver connection: submits and receipts share it, so a receipt never
  # overtakes its own submit_sm_resp (on separate connections it can, and Kannel then finds no
  # pending DLR for it: see --tx-rx).
  SMSC_GROUPS="$(smsc_group "port = $SMSC_PORT
transceiver-mode = true")"
  SMSC_LINKS=1
fi
DLR_LINES="# Pending delivery reports (message id -> dlr-url) are kept in memory only.
dlr-storage = internal"
DLR_GROUPS=""
if [ "$DLR_STORAGE" = sqlite3 ]; then
  # Kannel does not create the table; this is the schema of its dlr-db field names below.
  sqlite3 "$TMP/dlr.db" 'CREATE TABLE dlr (smsc VARCHAR(40), ts VARCHAR(65), destination
    VARCHAR(40), source VARCHAR(40), service VARCHAR(40), url VARCHAR(255), mask INTEGER,
    status INTEGER, boxc VARCHAR(40)); CREATE INDEX dlr_smsc_ts ON dlr (smsc, ts);'
  DLR_LINES="# Pending delivery reports live in SQLite (one INSERT per submit_sm_resp, one
# SELECT + DELETE per final receipt, each its own transaction).
dlr-storage = sqlite3"
  DLR_GROUPS="
group = sqlite3-connection
id = dlr
database = \"$TMP/dlr.db\"
max-connections = 1

group = dlr-db
id = dlr
table = dlr
field-smsc = smsc
field-timestamp = ts
field-destination = destination
field-source = source
field-service = service
field-url = url
field-mask = mask
field-status = status
field-boxc-id = boxc"
fi
cat >"$TMP/kannel.conf" <<EOF
# Generated by bench/kannel/run.sh; see bench/kannel/README.md for why each setting.
group = core
admin-port = $ADMIN_PORT
admin-interface = 127.0.0.1
admin-password = "$ADMIN_PW"
admin-allow-ip = "127.0.0.1"
smsbox-port = $BOX_PORT
smsbox-interface = 127.0.0.1
box-allow-ip = "127.0.0.1"
log-file = "$TMP/bearerbox.log"
log-level = $LOG_LEVEL
$DLR_LINES
$STORE_LINES
$DLR_GROUPS

$SMSC_GROUPS

group = smsbox
bearerbox-host = 127.0.0.1
bearerbox-port = $BOX_PORT
sendsms-port = $SENDSMS_PORT
sendsms-interface = 127.0.0.1
log-file = "$TMP/smsbox.log"
log-level = $LOG_LEVEL
# Default (false): the HTTP reply waits until bearerbox has accepted the message
# (and, with store-file, written it), so an HTTP 202 means "queued by Kannel".
immediate-sendsms-reply = false

group = sendsms-user
username = bench
password = bench
max-messages = 1
concatenation = false
EOF

# ---- bearerbox + smsbox ------------------------------------------------------------------------
# -v: console verbosity (default 0 = debug, which would print every PDU); the log files get
# log-level.
"$BEARERBOX" -v 2 "$TMP/kannel.conf" >"$TMP/bearerbox.out" 2>&1 &
BB_PID=$!
STATUS_URL="http://127.0.0.1:$ADMIN_PORT/status.txt?password=$ADMIN_PW"
for _ in $(seq 100); do curl -fsS "$STATUS_URL" >/dev/null 2>&1 && break; sleep 0.1; done
kill -0 "$BB_PID" 2>/dev/null || die "bearerbox exited at start"
"$SMSBOX" -v 2 "$TMP/kannel.conf" >"$TMP/smsbox.out" 2>&1 &
SB_PID=$!

# Ready when the SMSC link is online, smsbox is connected and sendsms answers.
ready=false
for _ in $(seq 300); do
  kill -0 "$BB_PID" 2>/dev/null || die "bearerbox exited"
  kill -0 "$SB_PID" 2>/dev/null || die "smsbox exited"
  status="$(curl -fsS "$STATUS_URL" 2>/dev/null || true)"
  if [ "$(grep -c '^ *bench\[bench\] .*(online' <<<"$status")" = "$SMSC_LINKS" ] && grep -q 'smsbox:.*(on-line' <<<"$status" &&
     curl -sS -o /dev/null "http://127.0.0.1:$SENDSMS_PORT/" 2>/dev/null; then
    ready=true; break
  fi
  sleep 0.1
done
$ready || { say "status: $status"; die "Kannel did not come online within 30 s"; }
say "online: SMSC 127.0.0.1:$SMSC_PORT, sendsms 127.0.0.1:$SENDSMS_PORT, store_file=$STORE_FILE, dlr_storage=$DLR_STORAGE"

# ---- the load ----------------------------------------------------------------------------------
say "sending $N messages at concurrency $C"
LOADAVG="$(cut -d' ' -f1 /proc/loadavg)" # other work on the machine skews the figures
# CPU of Kannel's boxes and of the SMSC over the load (cpu_ms: bench/lib.sh).
CPU0_KANNEL="$(cpu_ms "$BB_PID" "$SB_PID")" CPU0_SMSC="$(cpu_ms "$SMSC_PID")"
# In the background + wait, so a SIGINT/SIGTERM to this script is handled at once.
case "$LOADGEN" in
  rust) LOADGEN_CMD=("$FERRY_BENCH_BIN" load-kannel) ;;
  node) LOADGEN_CMD=(node "$HERE/loadgen.mjs") ;;
  *) die "--loadgen is rust or node, not $LOADGEN" ;;
esac
"${LOADGEN_CMD[@]}" --sendsms "http://127.0.0.1:$SENDSMS_PORT/cgi-bin/sendsms" \
  --user bench --pass bench -n "$N" -c "$C" --dlr-mask "$DLR_MASK" --timeout-s "$TIMEOUT" --to-base "$TO_BASE" \
  >"$TMP/loadgen.json" 2> >(tee "$TMP/loadgen.err" >&2) &
LG_PID=$!
if ! wait "$LG_PID"; then
  LG_PID=""
  die "load or receipts incomplete: $(cat "$TMP/loadgen.json" 2>/dev/null)"
fi

# Peak RSS of both boxes, read before they stop.
hwm() { awk '/^VmHWM:/ {print $2}' "/proc/$1/status"; }
LG_PID=""
BB_HWM="$(hwm "$BB_PID")"; SB_HWM="$(hwm "$SB_PID")"
CPU_KANNEL=$(( $(cpu_ms "$BB_PID" "$SB_PID") - CPU0_KANNEL )) CPU_SMSC=$(( $(cpu_ms "$SMSC_PID") - CPU0_SMSC ))
# The sink can have the last final report before Kannel's last deliver_sm_resp reached the
# SMSC: give the SMSC's receipt-ack count up to 10 s to catch up (it is a detail field only).
for _ in $(seq 100); do
  curl -fsS "http://127.0.0.1:$CONTROL_PORT/stats" >"$TMP/smsc-final.json" || die "no SMSC stats"
  node -e 'const s = require(process.argv[1]); process.exit(s.receipt_acks >= s.submits ? 0 : 1)' \
    "$TMP/smsc-final.json" && break
  sleep 0.1
done
STORE_BYTES=0
$STORE_FILE && STORE_BYTES="$(stat -c %s "$TMP/kannel.store" 2>/dev/null || echo 0)"

node -e '
  const fs = require("fs");
  const [lg, sm] = [process.argv[1], process.argv[2]].map(f => JSON.parse(fs.readFileSync(f)));
  const [storeFile, n, bbHwm, sbHwm, c, mask, storeBytes, dlrStorage, loadavg, cpus, links, delay,
    cpuKannel, cpuSmsc] = process.argv.slice(3);
  const N = Number(n), t0 = lg.first_request_ms, s = (ms) => (ms - t0) / 1000;
  if (sm.submits < N) { console.error(`kannel-bench: FAILED: the SMSC saw ${sm.submits} of ${N} submits`); process.exit(1); }
  const r = (x, d = 1) => Math.round(x * 10 ** d) / 10 ** d;
  console.log(JSON.stringify({
    peer: "kannel", store_file: storeFile === "true", messages: N, loadgen: lg.loadgen ?? "node",
    http_rps: r(N / s(lg.last_response_ms)),
    accepted_per_s: r(N / s(sm.last_submit_ms)),
    receipts_per_s: r(N / s(lg.last_final_receipt_ms)),
    elapsed_s: r(s(lg.last_final_receipt_ms), 3),
    peak_rss_kb: Number(bbHwm) + Number(sbHwm),
    concurrency: Number(c), dlr_mask: Number(mask), dlr_storage: dlrStorage,
    smsc_links: Number(links), receipt_delay_ms: Number(delay),
    http_s: r(s(lg.last_response_ms), 3), accepted_s: r(s(sm.last_submit_ms), 3),
    smsc_submits: sm.submits, smsc_receipt_acks: sm.receipt_acks,
    smsc_receipt_acks_per_s: r(sm.receipt_acks / s(sm.last_receipt_ack_ms)),
    dlr_by_type: lg.dlr_by_type, http_connections: lg.new_connections, bearerbox_rss_kb: Number(bbHwm), smsbox_rss_kb: Number(sbHwm),
    store_file_bytes_at_end: Number(storeBytes), loadavg_1m_at_start: Number(loadavg),
    cpus: Number(cpus),
    // As the Ferry half: CPU per message over the load, microseconds (bearerbox + smsbox; the
    // load generator, which here also takes the delivery reports; the SMSC).
    cpu_us_per_message: {
      gateway: r(Number(cpuKannel) * 1000 / N, 0),
      load_generator: r(lg.loadgen_cpu_ms * 1000 / N, 0),
      smsc: r(Number(cpuSmsc) * 1000 / N, 0),
    },
  }));
' "$TMP/loadgen.json" "$TMP/smsc-final.json" "$STORE_FILE" "$N" "$BB_HWM" "$SB_HWM" "$C" \
  "$DLR_MASK" "$STORE_BYTES" "$DLR_STORAGE" "$LOADAVG" "$(nproc)" "$SMSC_LINKS" "$RECEIPT_DELAY_MS" \
  "$CPU_KANNEL" "$CPU_SMSC"
