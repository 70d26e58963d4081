# Shared by bench/*.sh and bench/ferry/run.sh: paths, process handling, the counting SMSC, a fresh
# Ferry database and a `ferry serve` on it. Source it; do not run it.
#
# Every script that sources this sets BENCH_TMP (a temp dir) and calls bench_cleanup from its
# EXIT trap; processes started with the helpers below are recorded and stopped there.
BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# scripts/common.sh: FERRY_ROOT, CARGO_TARGET_DIR (default ~/.cache/ferry/target), FERRY_SITE_OUT,
# log, die, apt_install. It also turns on `set -euo pipefail`.
# shellcheck source=../scripts/common.sh
source "$BENCH_DIR/../scripts/common.sh"
FERRY_BIN="${FERRY_BIN:-$CARGO_TARGET_DIR/release/ferry}"
FERRY_BENCH_BIN="${FERRY_BENCH_BIN:-$CARGO_TARGET_DIR/release/ferry-bench}"

bench_say() { echo "${BENCH_NAME:-bench}: $*" >&2; }

# stop_pid PID [seconds]: TERM, wait up to `seconds`, then KILL.
stop_pid() {
  local pid="${1:-}" secs="${2:-10}" i
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < secs * 10; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

# N free loopback ports, space-separated.
free_ports() {
  python3 - "$1" <<'EOF'
import socket, sys
socks = []
for _ in range(int(sys.argv[1])):
    s = socket.socket(); s.bind(("127.0.0.1", 0)); socks.append(s)
print(" ".join(str(s.getsockname()[1]) for s in socks))
for s in socks: s.close()
EOF
}

vm_hwm_kb() { awk '/^VmHWM:/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }
# cpu_ms PID...: user + system CPU milliseconds the processes have used so far (0 for one gone).
cpu_ms() {
  local tck total=0 pid t
  tck="$(getconf CLK_TCK)"
  for pid in "$@"; do
    # Fields after "pid (comm) ": state is 1st, utime 12th, stime 13th.
    t="$(sed 's/^.*) //' "/proc/$pid/stat" 2>/dev/null | awk '{print $12 + $13}')"
    total=$((total + ${t:-0}))
  done
  echo $((total * 1000 / tck))
}

# ---- the counting SMSC (bench/smsc/counting-smsc.mjs, the npm `smpp` package) -----------------
SMSC_PID="" SMSC_PORT="" SMSC_CONTROL=""
ensure_smpp_module() {
  if ! (cd "$FERRY_ROOT/end2end" && node -e "require.resolve('smpp')" 2>/dev/null); then
    bench_say "installing end2end npm packages (for smpp)"
    (cd "$FERRY_ROOT/end2end" && npm ci --no-audit --no-fund >&2)
  fi
}
# SMSC_NODE_FLAGS: extra node flags for the SMSC, e.g. "--cpu-prof --cpu-prof-dir=DIR" to see
# where its CPU goes (node refuses --cpu-prof in NODE_OPTIONS).
start_smsc() {
  ensure_smpp_module
  node ${SMSC_NODE_FLAGS:-} "$BENCH_DIR/smsc/counting-smsc.mjs" --port 0 --control-port 0 \
    --stats "$BENCH_TMP/smsc-stats.json" >"$BENCH_TMP/smsc.out" 2>"$BENCH_TMP/smsc.err" &
  SMSC_PID=$!
  for _ in $(seq 100); do grep -q '^control ' "$BENCH_TMP/smsc.out" 2>/dev/null && break; sleep 0.1; done
  SMSC_PORT="$(awk '$1 == "listening" {print $2}' "$BENCH_TMP/smsc.out")"
  SMSC_CONTROL="$(awk '$1 == "control" {print $2}' "$BENCH_TMP/smsc.out")"
  [ -n "$SMSC_PORT" ] && [ -n "$SMSC_CONTROL" ] || die "the counting SMSC did not start: $(cat "$BENCH_TMP/smsc.err")"
}
smsc_stats() { curl -fsS "http://127.0.0.1:$SMSC_CONTROL/stats"; }
# Waits until at least one session is bound to the SMSC (Ferry's dispatcher connected).
wait_smsc_bound() {
  local i
  for ((i = 0; i < ${1:-30} * 10; i++)); do
    [ "$(smsc_stats | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["binds"]))')" -ge 1 ] && return 0
    sleep 0.1
  done
  return 1
}

# ---- PostgreSQL ------------------------------------------------------------------------------
# Uses the cluster at FERRY_TEST_PG_URL, or starts a throwaway one (scripts/pg-cluster.sh; its
# pg_stop is called from bench_cleanup).
ensure_pg() {
  if [ -z "${FERRY_TEST_PG_URL:-}" ]; then
    # shellcheck source=../scripts/pg-cluster.sh
    source "$FERRY_ROOT/scripts/pg-cluster.sh"
    trap bench_exit EXIT # pg-cluster.sh replaced our trap with its own
  fi
  command -v psql >/dev/null || die "psql not found (apt-get install postgresql-client)"
}
PG_DB=""
# Creates a new database on the cluster; echoes its URL.
create_pg_db() {
  PG_DB="ferry_bench_$$_${RANDOM}"
  psql "$FERRY_TEST_PG_URL/postgres" -qAtc "CREATE DATABASE $PG_DB" >&2
  echo "$FERRY_TEST_PG_URL/$PG_DB"
}

# ---- Ferry -----------------------------------------------------------------------------------
FERRY_PID="" FERRY_PORT="" FERRY_COOKIE="" FERRY_API_KEY="" DB_URL=""
check_ferry_bin() {
  [ -x "$FERRY_BIN" ] || die "no ferry binary at $FERRY_BIN (scripts/build.sh --release, or set FERRY_BIN)"
  [ -x "$FERRY_BENCH_BIN" ] || die "no ferry-bench binary at $FERRY_BENCH_BIN (cargo build --release -p server --features bench --bin ferry-bench, or set FERRY_BENCH_BIN)"
}
# new_database sqlite|postgres: sets DB_URL to a fresh, empty database.
new_database() {
  case "$1" in
    sqlite) DB_URL="sqlite://$BENCH_TMP/ferry.db" ;;
    postgres) ensure_pg; DB_URL="$(create_pg_db)" ;;
    *) die "unknown backend $1" ;;
  esac
}
# write_ferry_config FILE PORT: a `ferry serve` config on DB_URL sending to the counting SMSC.
write_ferry_config() {
  cat >"$1" <<EOF
listen = "127.0.0.1:$2"
data_dir = "$BENCH_TMP/data"
database_url = "$DB_URL"
site_dir = "$FERRY_SITE_OUT"
log = "warn"

[simulator]
enabled = false

[dispatcher]
enabled = true
workers = ${FERRY_BENCH_WORKERS:-2}
claim_batch = ${FERRY_BENCH_CLAIM_BATCH:-200}

[retention]
enabled = false

# One API key carries the whole load: the per-key limit must not be what is measured.
[api]
requests_per_second = 1000000
burst = 1000000

[[smsc]]
name = "npm"
address = "127.0.0.1:$SMSC_PORT"
system_id = "ferry"
password = "pw"
routes = []
window = 100
EOF
}
# start_ferry_serve: `ferry-bench prepare` on DB_URL (staff, customer `bench`, session, API
# key), then `ferry serve` on it; waits until it listens and its dispatcher is bound to the SMSC.
# Sets FERRY_PID, FERRY_PORT, FERRY_COOKIE, FERRY_API_KEY.
start_ferry_serve() {
  mkdir -p "$BENCH_TMP/data"
  FERRY_PORT="$(free_ports 1)"
  write_ferry_config "$BENCH_TMP/ferry.toml" "$FERRY_PORT"
  "$FERRY_BENCH_BIN" prepare --database-url "$DB_URL" \
    >"$BENCH_TMP/prepare.json" 2>"$BENCH_TMP/prepare.err" \
    || die "ferry-bench prepare failed: $(tail -n 20 "$BENCH_TMP/prepare.err")"
  FERRY_COOKIE="$(python3 -c 'import json,sys; print(json.loads(open(sys.argv[1]).read().strip().splitlines()[-1])["cookie"])' "$BENCH_TMP/prepare.json")" \
    || die "no cookie in ferry-bench prepare output: $(cat "$BENCH_TMP/prepare.json")"
  FERRY_API_KEY="$(python3 -c 'import json,sys; print(json.loads(open(sys.argv[1]).read().strip().splitlines()[-1])["api_key"])' "$BENCH_TMP/prepare.json")" \
    || die "no API key in ferry-bench prepare output: $(cat "$BENCH_TMP/prepare.json")"
  "$FERRY_BIN" serve --config "$BENCH_TMP/ferry.toml" >"$BENCH_TMP/ferry.out" 2>"$BENCH_TMP/ferry.err" &
  FERRY_PID=$!
  local i
  for ((i = 0; i < 600; i++)); do
    grep -q 'Ferry is running at' "$BENCH_TMP/ferry.out" 2>/dev/null && break
    kill -0 "$FERRY_PID" 2>/dev/null || die "ferry serve exited: $(tail -n 20 "$BENCH_TMP/ferry.err")"
    sleep 0.1
  done
  grep -q 'Ferry is running at' "$BENCH_TMP/ferry.out" || die "ferry serve did not start in 60 s"
  wait_smsc_bound 30 || die "Ferry's dispatcher did not bind to the SMSC in 30 s: $(tail -n 20 "$BENCH_TMP/ferry.err")"
}

# check_ledger: `ferry-bench check-ledger` on DB_URL (every balance the sum of its entries, every
# entry's balance_after the running sum); writes its JSON to $BENCH_TMP/ledger.json and stops
# the benchmark if the ledger is inconsistent. Every benchmark that writes to a database ends
# with it.
check_ledger() {
  "$FERRY_BENCH_BIN" check-ledger --database-url "$DB_URL" \
    >"$BENCH_TMP/ledger.json" 2>"$BENCH_TMP/ledger.err" \
    || die "ledger check failed: $(tail -n 5 "$BENCH_TMP/ledger.err")"
  bench_say "ledger consistent: $(cat "$BENCH_TMP/ledger.json")"
}

# ---- cleanup ---------------------------------------------------------------------------------
BENCH_KEEP_TMP="${BENCH_KEEP_TMP:-false}"
bench_cleanup() {
  local rc="$1"
  stop_pid "$FERRY_PID" 15
  stop_pid "$SMSC_PID" 5
  if [ "$rc" != 0 ]; then
    for f in ferry.err ferry.out prepare.err smsc.err loadgen.err wrk.out; do
      [ -s "$BENCH_TMP/$f" ] && { bench_say "--- last lines of $f"; tail -n 15 "$BENCH_TMP/$f" >&2; }
    done
  fi
  if [ -n "$PG_DB" ]; then
    psql "$FERRY_TEST_PG_URL/postgres" -qAtc "DROP DATABASE IF EXISTS $PG_DB" >/dev/null 2>&1 || true
  fi
  if declare -F pg_stop >/dev/null; then pg_stop; fi
  if [ "$BENCH_KEEP_TMP" = true ]; then bench_say "kept $BENCH_TMP"; else rm -rf "$BENCH_TMP"; fi
}
bench_exit() {
  local rc=$?
  trap - EXIT INT TERM
  bench_cleanup "$rc"
  exit "$rc"
}
# bench_init NAME: temp dir and traps.
bench_init() {
  BENCH_NAME="$1"
  BENCH_TMP="$(mktemp -d "${TMPDIR:-/tmp}/$1.XXXXXX")"
  trap bench_exit EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
}
