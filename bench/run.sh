#!/usr/bin/env bash
# THE benchmark command: runs every Ferry benchmark on this machine and writes BENCHMARKS.md.
#
#     bench/run.sh                  # everything, 3 runs each (~25 min on 2 cores)
#     bench/run.sh --quick          # smoke run: small workloads, 1 run each (a few minutes)
#     bench/run.sh --no-build --only dispatch,peer --runs 5
#
# Steps:
#   1. scripts/setup.sh --test and scripts/build.sh --release (the `ferry` release binary and
#      the WASM site), unless --no-build
#   2. installs what the benchmarks need and is missing: wrk, gnuplot-nox, kannel, postgresql,
#      chromium, curl (apt); end2end's npm packages (the `smpp` SMSC, playwright-core)
#   3. starts a throwaway PostgreSQL cluster (scripts/pg-cluster.sh; stopped at exit)
#   4. runs each benchmark --runs times (one at a time: the machine has 2 cores), rounds
#      interleaved so drift in the machine's state spreads over every configuration:
#        import    cargo bench -p app --features ssr --bench import  (CSV/XLSX 50k, DNC 1M, SQLite + PG)
#        rules     cargo bench -p sms --bench rules                   (criterion: segmentation, keywords)
#        composer  end2end per-keystroke test in Chromium (WASM build)
#        dispatch  bench/dispatch.sh: 50,000 messages x {SQLite, PostgreSQL} x {npm SMSC, simulator}
#        scaling   bench/dispatch.sh, SQLite + npm SMSC, window 400 and 1,000, 2 and 4 connections
#                  (one run each)
#        peer      bench/ferry/run.sh (SQLite, PostgreSQL), bench/kannel/run.sh, and
#                  bench/kannel/run.sh --store-file, back to back each round, 10,000 messages,
#                  driven by `ferry-bench load-ferry|load-kannel`; then Ferry (SQLite) and Kannel
#                  again with the Node load generators of earlier reports (--loadgen node)
#        intake    bench/http-intake.sh: wrk, 50 connections, 15 s, SQLite and PostgreSQL
#        results   ferry-bench results (results pages on a 50,000-message batch), once per backend
#   5. bench/report.py: BENCHMARKS.md at the repo root and the chart bench/throughput.png
#
# Options:
#   --runs N       repetitions of each benchmark (default 3; --quick: 1)
#   --quick        small workloads for a smoke test (dispatch 5,000, peer 2,000, intake 5 s,
#                  DNC 100,000, criterion 1 s per bench)
#   --no-build     skip step 1 (use the existing $CARGO_TARGET_DIR/release/ferry and site);
#                  import and rules still compile their bench targets with cargo: add
#                  --skip import,rules to run no cargo at all
#   --only LIST    comma-separated subset of: import,rules,composer,dispatch,scaling,peer,intake,
#                  results
#   --skip LIST    the same, to leave out
#   --out DIR      where raw results go (default bench/out/<timestamp>)
#   --no-report    do not write BENCHMARKS.md (run bench/report.py DIR yourself)
# Raw results: DIR/*.jsonl (one JSON line per run), DIR/raw/*.txt (cargo/node outputs),
# DIR/logs/*.log (each run's stderr), DIR/commands.txt, DIR/machine.json. A failed run is
# recorded as {"failed":true,...} and the rest go on; the report lists failures.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$HERE/../scripts/common.sh"
cd "$FERRY_ROOT"

RUNS="" QUICK=false BUILD=true REPORT=true OUT=""
ALL="import,rules,composer,dispatch,scaling,peer,intake,results"
ONLY="$ALL" SKIP=""
ORIG_ARGS="$*"
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) RUNS="$2"; shift 2 ;;
    --quick) QUICK=true; shift ;;
    --no-build) BUILD=false; shift ;;
    --only) ONLY="$2"; shift 2 ;;
    --skip) SKIP="$2"; shift 2 ;;
    --out) OUT="$2"; shift 2 ;;
    --no-report) REPORT=false; shift ;;
    -h|--help) sed -n '2,42p' "$HERE/run.sh" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument $1 (see --help)" ;;
  esac
done
wanted() { [[ ",$ONLY," == *",$1,"* ]] && [[ ",$SKIP," != *",$1,"* ]]; }
for name in ${ONLY//,/ } ${SKIP//,/ }; do
  [[ ",$ALL," == *",$name,"* ]] || die "unknown benchmark '$name' (one of: $ALL)"
done

if $QUICK; then
  RUNS="${RUNS:-1}" DISPATCH_N=5000 DISPATCH_TIMEOUT=120 PEER_N=2000 INTAKE_S=5 RESULTS_N=5000 RESULTS_RUNS=3
  DNC_N=100000 CRITERION_ARGS=(--warm-up-time 0.5 --measurement-time 1)
else
  RUNS="${RUNS:-3}" DISPATCH_N=50000 DISPATCH_TIMEOUT=420 PEER_N=10000 INTAKE_S=15 RESULTS_N=50000 RESULTS_RUNS=20
  DNC_N=1000000 CRITERION_ARGS=(--warm-up-time 1 --measurement-time 3)
fi
OUT="${OUT:-$HERE/out/$(date +%Y%m%d-%H%M%S)}"
mkdir -p "$OUT/logs" "$OUT/raw"
OUT="$(cd "$OUT" && pwd)"
export FERRY_BIN="${FERRY_BIN:-$CARGO_TARGET_DIR/release/ferry}"
export FERRY_BENCH_BIN="${FERRY_BENCH_BIN:-$CARGO_TARGET_DIR/release/ferry-bench}"
export FERRY_SITE_OUT
START_S=$SECONDS

# ---- 1. toolchain and build ----------------------------------------------------------------
if $BUILD; then
  log "scripts/setup.sh --test"
  "$FERRY_ROOT/scripts/setup.sh" --test
  log "scripts/build.sh --release"
  "$FERRY_ROOT/scripts/build.sh" --release
  log "cargo build --release -p server --features bench --bin ferry-bench"
  cargo build --release -p server --features bench --bin ferry-bench
fi
[ -x "$FERRY_BIN" ] || die "no ferry binary at $FERRY_BIN: run without --no-build"
[ -x "$FERRY_BENCH_BIN" ] || die "no ferry-bench at $FERRY_BENCH_BIN: rebuild (without --no-build)"

# ---- 2. benchmark dependencies -------------------------------------------------------------
missing=()
command -v wrk >/dev/null || missing+=(wrk)
command -v gnuplot >/dev/null || missing+=(gnuplot-nox)
[ -x /usr/sbin/bearerbox ] && [ -x /usr/sbin/smsbox ] || missing+=(kannel)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
command -v psql >/dev/null || missing+=(postgresql-client)
[ -x /usr/bin/chromium ] || missing+=(chromium)
command -v curl >/dev/null || missing+=(curl)
command -v node >/dev/null || missing+=(nodejs)
command -v npm >/dev/null || missing+=(npm)
[ "${#missing[@]}" -eq 0 ] || apt_install "${missing[@]}"
if ! (cd "$FERRY_NODE_DIR" && node -e "require.resolve('smpp'); require.resolve('playwright-core')" 2>/dev/null); then
  log "npm ci (end2end/)"
  (cd "$FERRY_NODE_DIR" && npm ci --no-audit --no-fund --loglevel=error)
fi

# ---- 3. PostgreSQL ---------------------------------------------------------------------------
python3 "$HERE/report.py" machine >"$OUT/machine.json"
# shellcheck source=../scripts/pg-cluster.sh
source "$FERRY_ROOT/scripts/pg-cluster.sh" # exports FERRY_TEST_PG_URL; stops the cluster at exit
trap 'exit 130' INT
trap 'exit 143' TERM
echo "bench/run.sh $ORIG_ARGS" >"$OUT/commands.txt.tmp"
printf '{"runs":%s,"quick":%s,"dispatch_messages":%s,"peer_messages":%s,"intake_seconds":%s,"dnc_numbers":%s,"results_messages":%s,"started":"%s"}\n' \
  "$RUNS" "$QUICK" "$DISPATCH_N" "$PEER_N" "$INTAKE_S" "$DNC_N" "$RESULTS_N" "$(date -u +%FT%TZ)" >"$OUT/settings.json"

# ---- helpers ---------------------------------------------------------------------------------
FAILURES=0
# note_command KEY CMD...: the exact command of a benchmark, once per KEY, for the report.
note_command() {
  local key="$1"; shift
  grep -q "^$key	" "$OUT/commands.txt.tmp" 2>/dev/null || printf '%s\t%s\n' "$key" "$*" >>"$OUT/commands.txt.tmp"
}
# bench_json FILE LABEL CMD...: runs CMD (stderr to logs/LABEL.log) and appends the JSON lines
# it prints to FILE.jsonl; on failure appends {"failed":true,...} as well.
bench_json() {
  local file="$1" label="$2"; shift 2
  local t0=$SECONDS rc=0
  log "[$label] $*"
  "$@" >"$OUT/raw/$label.stdout" 2>"$OUT/logs/$label.log" || rc=$?
  # Each line gets "label" (e.g. dispatch-sqlite-npm-2) so the report can tell the runs apart.
  grep '^{.' "$OUT/raw/$label.stdout" | sed "s/^{/{\"label\":\"$label\",/" >>"$OUT/$file.jsonl" || true
  if [ "$rc" != 0 ]; then
    FAILURES=$((FAILURES + 1))
    printf '{"failed":true,"label":"%s","rc":%s,"log":"logs/%s.log"}\n' "$label" "$rc" "$label" >>"$OUT/$file.jsonl"
    log "[$label] FAILED (exit $rc): see $OUT/logs/$label.log"
    tail -n 5 "$OUT/logs/$label.log" >&2 || true
  else
    log "[$label] $(grep '^{' "$OUT/raw/$label.stdout" | tail -n 1 | cut -c1-220) ($((SECONDS - t0)) s)"
  fi
}
# bench_raw LABEL CMD...: runs CMD, stdout to raw/LABEL.txt (parsed by report.py).
bench_raw() {
  local label="$1"; shift
  local t0=$SECONDS rc=0
  log "[$label] $*"
  "$@" >"$OUT/raw/$label.txt" 2>"$OUT/logs/$label.log" || rc=$?
  if [ "$rc" != 0 ]; then
    FAILURES=$((FAILURES + 1))
    mv "$OUT/raw/$label.txt" "$OUT/raw/$label.failed.txt"
    log "[$label] FAILED (exit $rc): see $OUT/logs/$label.log"
    tail -n 5 "$OUT/logs/$label.log" >&2 || true
  else
    log "[$label] done ($((SECONDS - t0)) s)"
  fi
}
results_run() { # ferry-bench results, in a temp dir of its own
  local dir rc=0
  dir="$(mktemp -d "${TMPDIR:-/tmp}/ferry-results.XXXXXX")"
  (cd "$dir" && "$FERRY_BENCH_BIN" results "$@") || rc=$?
  rm -rf "$dir"
  return "$rc"
}
composer_test() {
  cd "$FERRY_NODE_DIR" && FERRY_SITE_DIR="$FERRY_SITE_OUT" \
    node --test --test-name-pattern=per-keystroke tests/composer.test.mjs
}

# ---- 4. the benchmarks -----------------------------------------------------------------------
if wanted import; then
  note_command import "FERRY_TEST_PG_URL=postgres://… FERRY_BENCH_DNC=$DNC_N cargo bench -p app --features ssr --bench import"
  for ((k = 1; k <= RUNS; k++)); do
    bench_raw "import-$k" env FERRY_BENCH_DNC="$DNC_N" cargo bench -p app --features ssr --bench import
  done
fi
if wanted rules; then
  note_command rules "cargo bench -p sms --bench rules -- ${CRITERION_ARGS[*]} --noplot --output-format bencher"
  for ((k = 1; k <= RUNS; k++)); do
    bench_raw "rules-$k" cargo bench -p sms --bench rules -- "${CRITERION_ARGS[@]}" --noplot --output-format bencher
  done
fi
if wanted composer; then
  note_command composer "cd end2end && FERRY_BIN=$FERRY_BIN FERRY_SITE_DIR=$FERRY_SITE_OUT node --test --test-name-pattern=per-keystroke tests/composer.test.mjs"
  for ((k = 1; k <= RUNS; k++)); do
    bench_raw "composer-$k" composer_test
  done
fi
if wanted dispatch; then
  for ((k = 1; k <= RUNS; k++)); do
    for backend in sqlite postgres; do
      for smsc in npm simulator; do
        extra=()
        [ "$backend/$smsc" = sqlite/npm ] && extra=(--timeline "$OUT/timeline-sqlite-npm-$k.json")
        note_command "dispatch-$backend-$smsc" "bench/dispatch.sh --backend $backend --smsc $smsc -n $DISPATCH_N${extra:+ --timeline FILE}"
        bench_json dispatch "dispatch-$backend-$smsc-$k" \
          "$HERE/dispatch.sh" --backend "$backend" --smsc "$smsc" -n "$DISPATCH_N" --timeout "$DISPATCH_TIMEOUT" "${extra[@]}"
      done
    done
  done
fi
if wanted scaling; then
  # One run per setting: a sweep for its shape, against section 1's three runs at window 100.
  note_command scaling "bench/dispatch.sh --backend sqlite --smsc npm -n $DISPATCH_N --window W --connections C"
  for wc in 400/1 1000/1 100/2 100/4; do
    bench_json scaling "scaling-w${wc%/*}-c${wc#*/}" \
      "$HERE/dispatch.sh" --backend sqlite --smsc npm -n "$DISPATCH_N" --timeout "$DISPATCH_TIMEOUT" \
      --window "${wc%/*}" --connections "${wc#*/}"
  done
fi
if wanted peer; then
  note_command peer-ferry "bench/ferry/run.sh --backend sqlite|postgres -n $PEER_N -c 100"
  note_command peer-kannel "bench/kannel/run.sh -n $PEER_N -c 100 --to-base 85261000000"
  note_command peer-kannel-store "bench/kannel/run.sh --store-file -n $PEER_N -c 100 --to-base 85261000000"
  note_command peer-js "bench/ferry/run.sh --loadgen node --backend sqlite -n $PEER_N -c 100; bench/kannel/run.sh --loadgen node -n $PEER_N -c 100 --to-base 85261000000"
  for ((k = 1; k <= RUNS; k++)); do
    bench_json peer "peer-ferry-sqlite-$k" "$HERE/ferry/run.sh" --backend sqlite -n "$PEER_N" -c 100
    bench_json peer "peer-kannel-$k" "$HERE/kannel/run.sh" -n "$PEER_N" -c 100 --to-base 85261000000
    bench_json peer "peer-kannel-store-$k" "$HERE/kannel/run.sh" --store-file -n "$PEER_N" -c 100 --to-base 85261000000
    bench_json peer "peer-ferry-postgres-$k" "$HERE/ferry/run.sh" --backend postgres -n "$PEER_N" -c 100
    # The earlier harness (Node load generators), for comparison with earlier reports only.
    bench_json peer "peer-ferry-sqlite-js-$k" "$HERE/ferry/run.sh" --loadgen node --backend sqlite -n "$PEER_N" -c 100
    bench_json peer "peer-kannel-js-$k" "$HERE/kannel/run.sh" --loadgen node -n "$PEER_N" -c 100 --to-base 85261000000
  done
fi
if wanted intake; then
  note_command intake "bench/http-intake.sh --backend sqlite|postgres -c 50 -t 2 -d $INTAKE_S"
  for ((k = 1; k <= RUNS; k++)); do
    for backend in sqlite postgres; do
      bench_json intake "intake-$backend-$k" "$HERE/http-intake.sh" --backend "$backend" -c 50 -t 2 -d "$INTAKE_S"
    done
  done
fi
if wanted results; then
  note_command results "ferry-bench results --backend sqlite|postgres --messages $RESULTS_N --runs $RESULTS_RUNS"
  for backend in sqlite postgres; do
    bench_json results "results-$backend" \
      results_run --backend "$backend" --messages "$RESULTS_N" --runs "$RESULTS_RUNS"
  done
fi
mv "$OUT/commands.txt.tmp" "$OUT/commands.txt"
log "benchmarks done in $(((SECONDS - START_S) / 60)) min $(((SECONDS - START_S) % 60)) s; $FAILURES failed run(s); raw results in $OUT"

# ---- 5. the report ---------------------------------------------------------------------------
if $REPORT; then
  python3 "$HERE/report.py" render "$OUT" --markdown "$FERRY_ROOT/BENCHMARKS.md" --chart "$HERE/throughput.png"
  log "wrote BENCHMARKS.md and bench/throughput.png"
fi
