#!/usr/bin/env python3
"""Turns a bench/run.sh output directory into BENCHMARKS.md and the dispatch throughput chart.

    python3 bench/report.py machine > DIR/machine.json      # facts about this machine (JSON)
    python3 bench/report.py render DIR [--markdown BENCHMARKS.md] [--chart bench/throughput.png]

DIR holds what bench/run.sh wrote: settings.json, machine.json, commands.txt, dispatch.jsonl,
peer.jsonl, intake.jsonl, results.jsonl (one JSON line per run; {"failed":true,...} for a failed
one), raw/import-K.txt, raw/rules-K.txt, raw/composer-K.txt (cargo bench / node outputs),
timeline-sqlite-npm-K.json. Python 3 standard library only; the chart needs gnuplot.
"""
import argparse
import datetime
import glob
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


# ---- machine ---------------------------------------------------------------------------------
def _cmd(*args):
    try:
        out = subprocess.run(args, capture_output=True, text=True, timeout=20)
        return (out.stdout or out.stderr).strip().splitlines()[0] if (out.stdout or out.stderr).strip() else None
    except (OSError, subprocess.SubprocessError):
        return None


def _dpkg_version(pkg):
    return _cmd("dpkg-query", "-W", "-f=${Version}", pkg)


def machine():
    info = {"date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")}
    try:
        cpu = open("/proc/cpuinfo").read()
        m = re.search(r"^model name\s*:\s*(.+)$", cpu, re.M)
        info["cpu_model"] = m.group(1).strip() if m else platform.processor()
    except OSError:
        info["cpu_model"] = platform.processor()
    info["cores"] = os.cpu_count()
    try:
        mem = open("/proc/meminfo").read()
        kb = int(re.search(r"^MemTotal:\s*(\d+)", mem, re.M).group(1))
        info["ram_gib"] = round(kb / 1024 / 1024, 1)
    except (OSError, AttributeError):
        pass
    info["kernel"] = platform.release()
    try:
        osr = dict(
            line.split("=", 1) for line in open("/etc/os-release").read().splitlines() if "=" in line
        )
        info["os"] = osr.get("PRETTY_NAME", "").strip('"')
    except OSError:
        pass
    try:
        info["debian_version"] = open("/etc/debian_version").read().strip()
    except OSError:
        pass
    info["rustc"] = _cmd("rustc", "--version")
    info["node"] = _cmd("node", "--version")
    info["kannel"] = _dpkg_version("kannel")
    pg = sorted(glob.glob("/usr/lib/postgresql/*/bin/postgres"))
    info["postgresql"] = _cmd(pg[-1], "--version") if pg else None
    info["sqlite_note"] = "bundled with Ferry (sqlx / libsqlite3-sys)"
    info["wrk"] = _dpkg_version("wrk")
    info["chromium"] = _cmd("chromium", "--version")
    info["npm_smpp"] = None
    try:
        lock = json.load(open(os.path.join(ROOT, "end2end", "package-lock.json")))
        info["npm_smpp"] = lock["packages"]["node_modules/smpp"]["version"]
    except (OSError, KeyError, ValueError):
        pass
    return info


# ---- helpers ---------------------------------------------------------------------------------
def read_jsonl(path):
    ok, failed = [], []
    if not os.path.exists(path):
        return ok, failed
    for line in open(path):
        line = line.strip()
        if not line.startswith("{"):
            continue
        try:
            d = json.loads(line)
        except ValueError:
            continue
        (failed if d.get("failed") else ok).append(d)
    return ok, failed


def mmm(values):
    values = sorted(v for v in values if v is not None)
    if not values:
        return None
    return values[0], statistics.median(values), values[-1]


def fmt(v, unit=""):
    if v is None:
        return "–"
    if unit == "ms" or unit == "s":
        if v >= 100:
            return f"{v:,.0f}"
        if v >= 10:
            return f"{v:.1f}"
        if v >= 1:
            return f"{v:.2f}"
        return f"{v:.3f}"
    if abs(v) >= 100:
        return f"{v:,.0f}"
    if abs(v) >= 10:
        return f"{v:.1f}"
    return f"{v:.2f}"


def fmt_mmm(values, unit=""):
    s = mmm(values)
    if s is None:
        return "–", "–", "–"
    return tuple(fmt(x, unit) for x in s)


def check(ok):
    return "✅" if ok else "❌"


def table(header, rows):
    out = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    for r in rows:
        out.append("| " + " | ".join(str(c) for c in r) + " |")
    return "\n".join(out)


DURATION_RE = re.compile(r"([\d.]+)\s*(ns|µs|us|ms|s)\b")


def duration_s(text):
    m = DURATION_RE.search(text)
    if not m:
        return None
    v, u = float(m.group(1)), m.group(2)
    return v * {"ns": 1e-9, "µs": 1e-6, "us": 1e-6, "ms": 1e-3, "s": 1.0}[u]


def raw_files(out, prefix):
    files = glob.glob(os.path.join(out, "raw", f"{prefix}-*.txt"))
    return sorted(f for f in files if not f.endswith(".failed.txt"))


def failed_raw(out, prefix):
    return sorted(glob.glob(os.path.join(out, "raw", f"{prefix}-*.failed.txt")))


# ---- parsers for the cargo / node outputs ----------------------------------------------------
def parse_import(text):
    """app/benches/import.rs output -> {metric: seconds}."""
    res = {}
    for line in text.splitlines():
        m = re.match(r"import\s+(CSV|XLSX)\s+([\d_,]+) numbers \((\d+) KB\):\s*(.+)$", line.strip())
        if m:
            res[f"import_{m.group(1).lower()}"] = duration_s(m.group(4))
            res["import_numbers"] = int(re.sub(r"\D", "", m.group(2)))
            res[f"import_{m.group(1).lower()}_kb"] = int(m.group(3))
            continue
        m = re.match(r"reference: Msisdn::parse alone on ([\d_,]+) plain numbers:\s*(.+)$", line.strip())
        if m:
            res["msisdn_parse_only"] = duration_s(m.group(2))
            continue
        m = re.match(r"dnc\s+(SQLite|PostgreSQL)\s+(\d+) numbers:\s*(.+)$", line.strip())
        if m:
            res[f"dnc_{m.group(1).lower()}"] = duration_s(m.group(3))
            res["dnc_numbers"] = int(m.group(2))
    return res


def parse_bencher(text):
    """criterion --output-format bencher -> {bench name: ns/iter (median)}."""
    res = {}
    for m in re.finditer(r"^test (.+?) \.\.\. bench:\s+([\d,]+) (\w+)/iter", text, re.M):
        v = float(m.group(2).replace(",", ""))
        unit = m.group(3)
        res[m.group(1)] = v * {"ns": 1, "us": 1e3, "µs": 1e3, "ms": 1e6, "s": 1e9}.get(unit, 1)
    return res


def parse_composer(text):
    m = re.search(r"composer per-keystroke cost in Chromium: ([\d.]+) ms.*?baseline yield ([\d.]+) ms", text)
    if not m:
        return None
    return {"per_keystroke_ms": float(m.group(1)), "baseline_yield_ms": float(m.group(2))}


# ---- chart -----------------------------------------------------------------------------------
def pick_timeline(out, dispatch_runs):
    """The timeline of the SQLite + npm SMSC run with the median receipts/s."""
    files = sorted(glob.glob(os.path.join(out, "timeline-sqlite-npm-*.json")))
    if not files:
        return None, None
    runs = []
    for f in files:
        k = re.search(r"-(\d+)\.json$", f).group(1)
        runs.append((f, int(k)))
    rates = {}
    for r in dispatch_runs:
        m = re.match(r"dispatch-sqlite-npm-(\d+)$", r.get("label", ""))
        if m:
            rates[int(m.group(1))] = r.get("receipts_per_s")
    usable = [(f, k) for f, k in runs if rates.get(k) is not None] or runs
    usable.sort(key=lambda fk: rates.get(fk[1]) or 0)
    f, k = usable[len(usable) // 2]
    return f, k


def rates_from_timeline(samples, window_s=1.0):
    """Cumulative (t_s, accepted, receipts) samples -> per-second rates over a sliding window.
    `receipts` counts receipts stored (one per part); timelines of older runs have `delivered`
    (messages) instead."""
    pts = [(0.0, 0, 0)] + [(s["t_s"], s["accepted"], s.get("receipts", s.get("delivered", 0)))
                           for s in samples]
    out = []
    j = 0
    for i in range(1, len(pts)):
        t = pts[i][0]
        while j < i - 1 and t - pts[j + 1][0] >= window_s - 1e-9:
            j += 1
        dt = t - pts[j][0]
        if dt <= 0:
            continue
        out.append((t, (pts[i][1] - pts[j][1]) / dt, (pts[i][2] - pts[j][2]) / dt))
    return out


def make_chart(out, timeline_file, chart_path, title):
    if not shutil.which("gnuplot"):
        return "gnuplot not found: no chart (apt-get install gnuplot-nox)"
    samples = json.load(open(timeline_file))
    if not samples:
        return "empty timeline"
    rows = rates_from_timeline(samples)
    data = os.path.join(out, "throughput.dat")
    with open(data, "w") as f:
        f.write("# t_s accepted_per_s receipts_per_s (1 s sliding window over 250 ms samples)\n")
        for t, a, d in rows:
            f.write(f"{t:.3f} {a:.1f} {d:.1f}\n")
    script = os.path.join(out, "throughput.gp")
    with open(script, "w") as f:
        f.write(f"""set terminal pngcairo size 1000,500 font "sans,11" noenhanced
set output "{chart_path}"
set title "{title}"
set xlabel "seconds since the run started"
set ylabel "per second"
set grid
set key top right
set yrange [0:*]
set format y "%'.0f"
set decimalsign locale
plot "{data}" using 1:2 with lines lw 2 title "messages accepted by the SMSC (submit_sm_resp)", \\
     "{data}" using 1:3 with lines lw 2 title "receipts stored (one per part)"
""")
    r = subprocess.run(["gnuplot", script], capture_output=True, text=True)
    if r.returncode != 0:
        # pngcairo may be missing (gnuplot-nox has it; older builds may not): fall back to png.
        txt = open(script).read().replace('pngcairo size 1000,500 font "sans,11"', "png size 1000,500")
        open(script, "w").write(txt.replace("set decimalsign locale\n", "").replace("%'.0f", "%.0f"))
        r = subprocess.run(["gnuplot", script], capture_output=True, text=True)
        if r.returncode != 0:
            return f"gnuplot failed: {r.stderr.strip()[:300]}"
    return None


# ---- the report ------------------------------------------------------------------------------
def previous_sections(md_path):
    """The sections ("## ..." to the next "## ") and target rows of the BENCHMARKS.md being
    replaced, and the date it was measured, so that a run of only some benchmarks (`--only`,
    `--skip`) keeps the others' last figures instead of dropping them."""
    if not os.path.exists(md_path):
        return {}, [], None
    text = open(md_path).read()
    m = re.search(r"Measured by `bench/run.sh` on ([^;]+);", text)
    sections, current = {}, None
    for line in text.splitlines():
        if line.startswith("## "):
            current = line
            sections[current] = []
        elif current is not None:
            sections[current].append(line)
    targets = [l for l in sections.get("## Targets", []) if l.startswith("| ") and not l.startswith("| target")]
    return {k: "\n".join(v).strip() for k, v in sections.items()}, targets, m.group(1) if m else None


def carried_over(previous, heading, when):
    """`heading`'s section from the previous report, marked as not measured in this run."""
    body = previous.get(heading)
    if not body:
        return None
    if body.startswith("_Not measured in this run"):
        return "\n".join([heading + "\n", body + "\n"])  # carried before: keep its own date
    note = (f"_Not measured in this run (left out with `--only`/`--skip`): the figures of the run "
            f"of {when or 'the previous report'}, carried over._\n")
    return "\n".join([heading + "\n", note, body + "\n"])


def render(out, md_path, chart_path):
    previous, previous_targets, previous_when = previous_sections(md_path)
    settings = json.load(open(os.path.join(out, "settings.json"))) if os.path.exists(os.path.join(out, "settings.json")) else {}
    mach = json.load(open(os.path.join(out, "machine.json"))) if os.path.exists(os.path.join(out, "machine.json")) else machine()
    commands = []
    for name in ("commands.txt", "commands.txt.tmp"):
        p = os.path.join(out, name)
        if os.path.exists(p):
            commands = [l.rstrip("\n") for l in open(p) if l.strip()]
            break
    dispatch, dispatch_failed = read_jsonl(os.path.join(out, "dispatch.jsonl"))
    peer, peer_failed = read_jsonl(os.path.join(out, "peer.jsonl"))
    intake, intake_failed = read_jsonl(os.path.join(out, "intake.jsonl"))
    results, results_failed = read_jsonl(os.path.join(out, "results.jsonl"))
    imports = [parse_import(open(f).read()) for f in raw_files(out, "import")]
    rules = [parse_bencher(open(f).read()) for f in raw_files(out, "rules")]
    composer = [c for c in (parse_composer(open(f).read()) for f in raw_files(out, "composer")) if c]

    md = []
    targets = []  # (target, measured, ok)
    carried_targets = []  # rows of the previous report's targets table, for sections carried over
    w = md.append
    runs = settings.get("runs", "?")
    raw_dir = os.path.relpath(out, ROOT) if out.startswith(ROOT + os.sep) else out
    loads = [r.get("loadavg_1m_at_start") for r in dispatch + peer + intake if r.get("loadavg_1m_at_start") is not None]
    w("# Benchmarks\n")
    w(f"Measured by `bench/run.sh` on {mach.get('date', '?')}; every figure is min / median / max over "
      f"{runs} run(s) unless stated otherwise. Raw results: `{raw_dir}/` (not committed).\n")
    if loads and statistics.median(loads) > 2.5:
        md.append(f"> **The machine was busy**: the median 1-minute load average at the start of a run was "
                  f"{statistics.median(loads):.1f} (max {max(loads):.1f}) on {mach.get('cores', '?')} cores; back to back, "
                  "the previous run's own load accounts for about 1-2, so something else was running too and "
                  "these figures understate what an idle machine does.\n")
    if settings.get("quick"):
        w("> **Smoke run (`--quick`)**: small workloads and a single run each. These figures only show "
          "that the benchmarks work; run `bench/run.sh` without `--quick` for real ones.\n")

    # -- machine
    w("## Machine\n")
    rows = [
        ("CPU", mach.get("cpu_model")),
        ("cores", mach.get("cores")),
        ("RAM", f"{mach.get('ram_gib')} GiB"),
        ("kernel", mach.get("kernel")),
        ("OS", f"{mach.get('os')} (debian_version {mach.get('debian_version')})"),
        ("rustc", mach.get("rustc")),
        ("Node.js", mach.get("node")),
        ("PostgreSQL", f"{mach.get('postgresql')} (throwaway cluster: fsync=off, synchronous_commit=off)"),
        ("SQLite", mach.get("sqlite_note")),
        ("Kannel", f"{mach.get('kannel')} (Debian package)"),
        ("npm `smpp` (the SMSC)", mach.get("npm_smpp")),
        ("wrk", mach.get("wrk")),
        ("Chromium", mach.get("chromium")),
    ]
    w(table(["", ""], [(k, v if v is not None else "–") for k, v in rows]) + "\n")
    w("Everything (Ferry, the SMSC, the load generators, PostgreSQL, Kannel) shares the 2 cores, "
      "and the benchmarks run one at a time.\n")

    # -- commands
    w("## How to reproduce\n")
    w("```sh\nbench/run.sh            # everything below, then this file and bench/throughput.png\n"
      "bench/run.sh --help     # --runs N, --quick, --only/--skip, --no-build\n```\n")
    if commands:
        w("The exact commands it ran (from the repository root; `bench/README.md` describes each script):\n")
        w("```sh")
        for c in commands:
            if "\t" in c:
                key, cmd = c.split("\t", 1)
                w(f"# {key}\n{cmd}")
            else:
                w(c)
        w("```\n")

    sections = []

    # -- 1. dispatch
    s = ["## 1. Dispatch throughput\n"]
    n_disp = settings.get("dispatch_messages")
    s.append(
        f"`ferry-bench dispatch`: a fresh database, one customer, four batches of {n_disp // 4 if n_disp else '?':,} "
        "messages (GSM-7 1-part, GSM-7 2-part, UCS-2 1-part, UCS-2 2-part) and Ferry's dispatcher "
        "(2 workers, window 100) until every message has its DELIVRD receipt applied. "
        "**npm SMSC** = the npm `smpp` package as a server (`bench/smsc/counting-smsc.mjs`), which "
        "acknowledges each submit_sm and returns a receipt for each; **simulator** = Ferry's "
        "built-in SMSC simulator in the same process. *accepted/s* = messages / time until the SMSC "
        "accepted the last one (its submit_sm_resp received, by the dispatcher's counter; before "
        "2026-12-05 night: its outcome committed); *parts/s* = the same for SMPP parts; "
        "*receipts/s* = messages / time until the last receipt was applied (the dispatcher's "
        "receipt counter complete and every message DELIVERED in the database). `ferry-bench dispatch` samples "
        "its progress every 250 ms, so both times are rounded up to the next sample (at most 250 ms).\n"
    )
    rows = []
    for backend in ("sqlite", "postgres"):
        for smsc in ("npm", "simulator"):
            rs = [r for r in dispatch if r.get("backend") == backend and
                  ((r.get("smsc") == "simulator") == (smsc == "simulator"))]
            if not rs:
                continue
            for metric, label in (("accepted_per_s", "accepted / s"), ("parts_per_s", "parts / s"),
                                  ("receipts_per_s", "receipts / s"), ("receipts_s", "time to last receipt (s)")):
                lo, med, hi = fmt_mmm([r.get(metric) for r in rs], "s" if metric.endswith("_s") else "")
                tgt = ""
                if metric == "receipts_per_s":
                    goal = 10_000 if backend == "sqlite" else 5_000
                    name = "SQLite" if backend == "sqlite" else "PostgreSQL"
                    m = mmm([r.get(metric) for r in rs])
                    ok = m is not None and m[1] >= goal
                    tgt = f"≥ {goal:,} {check(ok)}"
                    if smsc == "npm":
                        targets.append((f"dispatch with receipts on {name} (npm SMSC), median receipts/s ≥ {goal:,}",
                                        fmt(m[1]) if m else "–", ok))
                rows.append((f"{'SQLite' if backend == 'sqlite' else 'PostgreSQL'} + {smsc}", label, lo, med, hi,
                             len(rs), tgt))
    if rows:
        s.append(table(["configuration", "metric", "min", "median", "max", "runs", "target"], rows) + "\n")
    else:
        s.append("_No dispatch results._\n")
    note = None
    tl, k = pick_timeline(out, dispatch)
    if tl and chart_path:
        note = make_chart(out, tl, chart_path,
                          f"Ferry dispatch, SQLite + npm smpp SMSC, {n_disp or '?'} messages (run {k})")
        rel = os.path.relpath(chart_path, os.path.dirname(os.path.abspath(md_path)))
        if note is None:
            s.append(f"![messages per second over time, SQLite + npm SMSC]({rel})\n")
            s.append(f"Throughput over time for the SQLite + npm SMSC run with the median receipts/s (run {k}): "
                     "the per-second rate of messages accepted by the SMSC and of receipts stored, one per "
                     "part (the derivative of the dispatcher's cumulative counters, which `--timeline` "
                     "samples every 250 ms, "
                     "over a 1 s sliding window).\n")
        else:
            s.append(f"_Chart not drawn: {note}_\n")
    npm_runs = [r for r in dispatch if r.get("smsc") != "simulator" and r.get("smsc_submits") is not None]
    if npm_runs:
        bad = [r for r in npm_runs if r.get("smsc_submits") != r.get("parts")]
        dups = [r for r in npm_runs if r.get("smsc_duplicate_submits")]
        if not bad and not dups:
            s.append("Cross-check: in every npm SMSC run the SMSC received exactly one submit_sm per part, "
                     "none twice.\n")
        else:
            s.append(f"**Cross-check failed**: in {len(bad)} of {len(npm_runs)} npm SMSC run(s) the SMSC received a "
                     "different number of submit_sm than Ferry's parts; duplicate submits (a part it had already "
                     "received) per run: "
                     + ", ".join(f"{r.get('label', '?')}: {r.get('smsc_submits')} submits for {r.get('parts')} parts, "
                                 f"{r.get('smsc_duplicate_submits')} duplicates" for r in npm_runs
                                 if r in bad or r in dups) + ".\n")
    sections.append("\n".join(s))

    # -- 1b. scaling with the window and the connections
    scaling, scaling_failed = read_jsonl(os.path.join(out, "scaling.jsonl"))
    dispatch_failed = dispatch_failed + scaling_failed
    if scaling:
        s = ["## 1b. Scaling with the SMPP window and the number of connections\n"]
        s.append(
            f"`bench/dispatch.sh --backend sqlite --smsc npm -n {n_disp or '?'} --window W --connections C`: "
            "the SQLite + npm SMSC workload of section 1 with a different window per connection, or "
            "with C binds to the same SMSC (each with window 100; messages are spread across them by id). "
            "The window also bounds what a crash can resubmit (window × connections), so Ferry ships "
            "with 100.\n"
        )
        rows = []
        for (win, conns) in sorted({(r.get("window"), r.get("connections", 1)) for r in scaling},
                                   key=lambda k: (k[1] or 0, k[0] or 0)):
            rs = [r for r in scaling if (r.get("window"), r.get("connections", 1)) == (win, conns)]
            lo, med, hi = fmt_mmm([r.get("receipts_per_s") for r in rs])
            alo, amed, ahi = fmt_mmm([r.get("accepted_per_s") for r in rs])
            dups = sum(r.get("smsc_duplicate_submits", 0) or 0 for r in rs)
            rows.append((win, conns, amed, f"{lo} / {med} / {hi}", dups, len(rs)))
        s.append(table(["window", "connections", "accepted / s (median)", "receipts / s (min / median / max)",
                        "duplicate submits", "runs"], rows) + "\n")
        sections.append("\n".join(s))

    # -- 2. intake
    s = ["## 2. HTTP intake\n"]
    s.append(
        f"`bench/http-intake.sh`: `wrk` (Debian) with {intake[0].get('threads', 2) if intake else 2} threads and "
        f"{intake[0].get('connections', 50) if intake else 50} connections for {settings.get('intake_seconds', '?')} s "
        "against `ferry serve`, each request a single-message send (POST `/api/v1/messages` with an "
        "API key, as a customer's system sends) to a distinct number, while the dispatcher sends the "
        "batches on to the npm SMSC. Non-2xx responses are counted by wrk's Lua `response` hook.\n"
    )
    rows = []
    for backend in ("sqlite", "postgres"):
        rs = [r for r in intake if r.get("backend") == backend]
        if not rs:
            continue
        name = "SQLite" if backend == "sqlite" else "PostgreSQL"
        for metric, label, unit in (("requests_per_s", "requests / s", ""), ("latency_p50_ms", "latency p50 (ms)", "ms"),
                                    ("latency_p99_ms", "latency p99 (ms)", "ms"),
                                    ("smsc_submits_during", "sent to the SMSC during the run", "")):
            lo, med, hi = fmt_mmm([r.get(metric) for r in rs], unit)
            rows.append((name, label, lo, med, hi, len(rs)))
        if backend == "sqlite":
            rps, p99 = mmm([r.get("requests_per_s") for r in rs]), mmm([r.get("latency_p99_ms") for r in rs])
            targets.append(("HTTP intake on SQLite, median requests/s ≥ 5,000", fmt(rps[1]) if rps else "–",
                            rps is not None and rps[1] >= 5_000))
            targets.append(("HTTP intake on SQLite, median latency p99 < 50 ms", f"{fmt(p99[1], 'ms')} ms" if p99 else "–",
                            p99 is not None and p99[1] < 50))
        rows.append((name, "non-2xx responses (all runs)", "", str(sum(r.get("non_2xx", 0) for r in rs)), "", len(rs)))
        rows.append((name, "socket errors (all runs)", "", str(sum(r.get("socket_errors", 0) for r in rs)), "", len(rs)))
    s.append(table(["backend", "metric", "min", "median", "max", "runs"], rows) + "\n" if rows else "_No intake results._\n")
    sections.append("\n".join(s))

    # -- 3. peer
    s = ["## 3. Peer comparison: Ferry vs Kannel\n"]
    pn = settings.get("peer_messages")
    s.append(
        f"The same workload through both, in the same run, rounds interleaved (Ferry SQLite, Kannel in "
        f"memory, Kannel with store-file, Ferry PostgreSQL): {pn or '?':,} single-message requests, "
        "message *i* to a distinct number with text `ferry bench <i>`, 100 in flight over keep-alive "
        "connections (opened 10 at a time for both), to the same npm SMSC, which returns a DELIVRD "
        "receipt for every message. Ferry: `bench/ferry/run.sh` (POST `/api/v1/messages` with an API "
        "key, one recipient, into `ferry serve`); Kannel 1.4.5: `bench/kannel/run.sh` (bearerbox + smsbox, "
        "one SMPP transceiver bind, max-pending-submits = 100, HTTP sendsms, receipts back to a local "
        "HTTP sink). *HTTP req/s* = N / (last response − first request); *accepted/s* = N / (last "
        "submit_sm at the SMSC − first request); *receipts/s* = N / time until the last receipt was "
        "processed (Ferry: its deliver_sm_resp, sent after the receipt is stored; Kannel: the sink's "
        "delivered callback). Peak RSS: `ferry serve`; bearerbox + smsbox.\n"
    )
    s.append(
        "Both are driven by the same load generator, `ferry-bench load-ferry` / `load-kannel` "
        "(server/src/bench/load.rs: one thread, hyper's HTTP/1.1 client, Kannel's delivery reports "
        "on an axum sink). Until 2026-12-06 the load generators were Node scripts "
        "(bench/ferry/loadgen.mjs, bench/kannel/loadgen.mjs, the same requests), which took "
        "120–230 µs of the two cores per message, as much as Ferry itself; the rows marked *JS load "
        "generator* are those, run in the same rounds, for comparison with earlier reports.\n"
    )

    # Runs driven by the JavaScript load generators (the harness of the stops before
    # 2026-12-06, and every run that does not say which) are kept apart: their load generator
    # takes as much of the two cores as Ferry does.
    JS = ", JS load generator"

    def peer_key(r):
        if r.get("peer") == "ferry":
            g = "Ferry (SQLite)" if r.get("backend", "sqlite") == "sqlite" else "Ferry (PostgreSQL)"
        else:
            g = "Kannel (store-file)" if r.get("store_file") else "Kannel (memory queue)"
        return g + (JS if r.get("loadgen", "node") == "node" else "")

    groups = {}
    for r in peer:
        groups.setdefault(peer_key(r), []).append(r)
    order = ["Ferry (SQLite)", "Ferry (PostgreSQL)", "Kannel (memory queue)", "Kannel (store-file)",
             "Ferry (SQLite)" + JS, "Kannel (memory queue)" + JS]
    rows = []
    for g in order:
        rs = groups.get(g)
        if not rs:
            continue
        for metric, label, unit in (("http_rps", "HTTP req / s", ""), ("accepted_per_s", "accepted / s", ""),
                                    ("receipts_per_s", "receipts / s", ""), ("elapsed_s", "time to last receipt (s)", "s"),
                                    ("peak_rss_kb", "peak RSS (MB)", "")):
            vals = [r.get(metric) for r in rs]
            if metric == "peak_rss_kb":
                vals = [v / 1024 for v in vals if v is not None]
            lo, med, hi = fmt_mmm(vals, unit)
            rows.append((g, label, lo, med, hi, len(rs)))
    s.append(table(["system", "metric", "min", "median", "max", "runs"], rows) + "\n" if rows else "_No peer results._\n")

    def med_of(g, metric):
        m = mmm([r.get(metric) for r in groups.get(g, [])])
        return m[1] if m else None

    rows = []
    pairs = [(f, k) for f in ("Ferry (SQLite)", "Ferry (PostgreSQL)")
             for k in ("Kannel (memory queue)", "Kannel (store-file)")]
    pairs.append(("Ferry (SQLite)" + JS, "Kannel (memory queue)" + JS))
    for f, kname in pairs:
        if f not in groups or kname not in groups:
            continue
        cells = []
        for metric in ("receipts_per_s", "accepted_per_s", "http_rps"):
            a, b = med_of(f, metric), med_of(kname, metric)
            cells.append(f"{a / b:.2f}×" if a and b else "–")
        ratio = (med_of(f, "receipts_per_s") or 0) / (med_of(kname, "receipts_per_s") or float("inf"))
        ok = ratio >= 3
        if f.endswith(JS):
            # For comparison with earlier stops only: the target is read on the runs above.
            rows.append((f"{f} / {kname}", *cells, "(earlier harness)"))
            continue
        rows.append((f"{f} / {kname}", *cells, f"≥ 3× {check(ok)}"))
        if f == "Ferry (SQLite)":
            targets.append((f"Ferry ≥ 3× Kannel, median receipts/s, vs {kname}", f"{ratio:.2f}×", ok))
    if rows:
        s.append("Ratios of medians (Ferry / Kannel; above 1 = Ferry faster):\n")
        s.append(table(["pair", "receipts / s", "accepted / s", "HTTP req / s", "target (receipts)"], rows) + "\n")
    cpu_rows = []
    cpu_med = {}
    for g in order:
        rs = [r for r in groups.get(g, []) if isinstance(r.get("cpu_us_per_message"), dict)]
        if not rs:
            continue
        parts = {k: mmm([r["cpu_us_per_message"].get(k) for r in rs]) for k in ("gateway", "load_generator", "smsc")}
        if not all(parts.values()):
            continue
        totals = mmm([sum(r["cpu_us_per_message"].get(k, 0) for k in ("gateway", "load_generator", "smsc")) for r in rs])
        cpus = mmm([r.get("cpus") for r in rs])
        cores = cpus[1] if cpus else 2
        cpu_med[g] = (parts["gateway"][1], totals[1], cores)
        cpu_rows.append((g, f"{parts['gateway'][1]:,.0f}", f"{parts['load_generator'][1]:,.0f}",
                         f"{parts['smsc'][1]:,.0f}", f"{totals[1]:,.0f}",
                         f"{cores * 1e6 / totals[1]:,.0f}" if totals[1] else "–"))
    if cpu_rows:
        s.append(
            "Where the cores go (median µs of CPU per message over the load, user + system, from "
            "`/proc` for the gateway and the SMSC and from the load generator itself; the load "
            "generator for Kannel also receives its delivery reports). All of it shares the "
            "machine's cores, so *cores ÷ total* bounds receipts/s when the machine is saturated:\n"
        )
        s.append(table(["system", "gateway", "load generator", "SMSC", "total", "cores ÷ total (msg/s)"], cpu_rows) + "\n")
        f, k = cpu_med.get("Ferry (SQLite)"), cpu_med.get("Kannel (memory queue)")
        kr = med_of("Kannel (memory queue)", "receipts_per_s")
        if f and k and kr:
            need_total = f[2] * 1e6 / (3 * kr)
            harness = f[1] - f[0]
            s.append(
                f"3× Kannel's median ({kr:,.0f} receipts/s) is {3 * kr:,.0f} receipts/s: at most "
                f"{need_total:,.0f} µs of the cores per message, all processes together. Ferry's harness "
                f"(load generator + SMSC) alone takes {harness:,.0f} µs, which leaves "
                f"{max(need_total - harness, 0):,.0f} µs for Ferry against the {f[0]:,.0f} µs it uses.\n"
            )
    ferry_dups = [r for r in peer if r.get("peer") == "ferry" and r.get("smsc_duplicate_submits")]
    if ferry_dups:
        s.append("**Duplicates**: the SMSC received a message Ferry had already submitted in "
                 + ", ".join(f"{r.get('label', '?')} ({r['smsc_duplicate_submits']} duplicate submit_sm)" for r in ferry_dups)
                 + "; the figures count each message once.\n")
    s.append(
        "Durability differs: Ferry commits every message and every receipt to its database before it "
        "answers (HTTP 200; deliver_sm_resp). Kannel without `store-file` keeps its queue in memory "
        "only; with it, bearerbox appends each message to a file (flushed, not fsynced) and still "
        "keeps pending delivery reports in memory. See `bench/kannel/README.md` for every Kannel setting.\n"
    )
    sections.append("\n".join(s))

    # -- 4. import
    s = ["## 4. Import\n"]
    s.append(
        "`cargo bench -p app --features ssr --bench import` (`app/benches/import.rs`): each run prints "
        "the median of 5 parses of a 50,000-number CSV and XLSX (mixed plain and `+852 xxxx xxxx` "
        "numbers, validated and normalised) and of 3 replacements of a do-not-call register; the table "
        "shows min / median / max of those per-run medians.\n"
    )
    rows = []
    dnc_n = imports[0].get("dnc_numbers") if imports else None
    for metric, label, limit in (
        ("import_csv", f"CSV, {imports[0].get('import_numbers', 50000) if imports else 50000:,} numbers", 1.0),
        ("import_xlsx", f"XLSX, {imports[0].get('import_numbers', 50000) if imports else 50000:,} numbers", 2.0),
        ("msisdn_parse_only", "reference: `Msisdn::parse` alone, 50,000", None),
        ("dnc_sqlite", f"do-not-call register, {dnc_n or 0:,} numbers, SQLite", None),
        ("dnc_postgresql", f"do-not-call register, {dnc_n or 0:,} numbers, PostgreSQL", None),
    ):
        vals = [i.get(metric) for i in imports if i.get(metric) is not None]
        if not vals:
            continue
        m = mmm(vals)
        def sec(v):
            return f"{v * 1000:.0f} ms" if v < 1 else f"{v:.2f} s"
        tgt = ""
        if limit is not None:
            ok = m[1] < limit
            tgt = f"< {limit:g} s {check(ok)}"
            targets.append((f"50k import {metric[7:].upper()} < {limit:g} s", sec(m[1]), ok))
        rows.append((label, sec(m[0]), sec(m[1]), sec(m[2]), len(vals), tgt))
    s.append(table(["what", "min", "median", "max", "runs", "target"], rows) + "\n" if rows else "_No import results._\n")
    kept = None if imports else carried_over(previous, "## 4. Import", previous_when)
    if kept:
        carried_targets.extend(t for t in previous_targets if t.startswith("| 50k import"))
    sections.append(kept or "\n".join(s))

    # -- 5. composer
    s = ["## 5. Composer\n"]
    s.append(
        "Natively, `cargo bench -p sms --bench rules` (criterion; `sms/benches/rules.rs`): the rules the "
        "composer runs on every keystroke and the server runs for every message. Each run's figure is "
        "criterion's median time per call.\n"
    )
    if rules:
        names = []
        for r in rules:
            for n in r:
                if n not in names:
                    names.append(n)
        rows = []
        for n in names:
            vals = [r[n] / 1000 for r in rules if n in r]  # µs
            lo, med, hi = fmt_mmm(vals, "ms")
            rows.append((n, lo, med, hi, len(vals)))
        s.append(table(["benchmark", "min (µs)", "median (µs)", "max (µs)", "runs"], rows) + "\n")
    else:
        s.append("_No criterion results._\n")
    s.append(
        "In Chromium (Debian's, headless), through the WASM build: `end2end/tests/composer.test.mjs`, test "
        "*per-keystroke cost of the WASM composer*: 459 input events (texts of 1…459 characters) into "
        "the composer of a running `ferry serve`, each followed by a task yield, minus the same loop of "
        "yields without input; the composer updates characters, parts, encoding, cost and keyword "
        "warnings on each.\n"
    )
    if composer:
        lo, med, hi = fmt_mmm([c["per_keystroke_ms"] for c in composer], "ms")
        ok = mmm([c["per_keystroke_ms"] for c in composer])[1] < 16
        s.append(table(["what", "min", "median", "max", "runs", "budget"],
                       [("per keystroke (ms)", lo, med, hi, len(composer), f"< 16 ms (one frame) {check(ok)}")]) + "\n")
    else:
        s.append("_No Chromium result._\n")
    kept = None if (rules or composer) else carried_over(previous, "## 5. Composer", previous_when)
    sections.append(kept or "\n".join(s))

    # -- 6. memory
    s = ["## 6. Memory\n"]
    s.append("Peak RSS (VmHWM) of the Ferry process during each dispatch run (with `simulator`, the "
             "in-process simulator is included):\n")
    rows = []
    for backend in ("sqlite", "postgres"):
        for smsc in ("npm", "simulator"):
            rs = [r for r in dispatch if r.get("backend") == backend and
                  ((r.get("smsc") == "simulator") == (smsc == "simulator"))]
            vals = [r["peak_rss_kb"] / 1024 for r in rs if r.get("peak_rss_kb")]
            if not vals:
                continue
            m = mmm(vals)
            ok = m[2] < 300
            rows.append((f"{'SQLite' if backend == 'sqlite' else 'PostgreSQL'} + {smsc}", fmt(m[0]), fmt(m[1]),
                         fmt(m[2]), len(vals), f"< 300 MB {check(ok)}"))
    all_rss = [r["peak_rss_kb"] / 1024 for r in dispatch if r.get("peak_rss_kb")]
    if all_rss:
        targets.append(("peak RSS of Ferry during dispatch < 300 MB (max of all runs)", f"{max(all_rss):.0f} MB",
                        max(all_rss) < 300))
    # Every run that wrote to a database ends with the full ledger check (bench/lib.sh
    # check_ledger, `ferry-bench check-ledger`; dispatch runs check inside ferry-bench).
    def ledger_ok(r):
        if "ledger" in r:
            return r["ledger"].get("consistent")
        return r.get("ledger_consistent")
    ferry_runs = dispatch + intake + [r for r in peer if r.get("peer") == "ferry"]
    checked = [r for r in ferry_runs if ledger_ok(r) is not None]
    if checked:
        bad = [r for r in checked if not ledger_ok(r)]
        targets.append(("every run's ledger consistent (balances = sum of entries, running sums)",
                        f"{len(checked) - len(bad)} of {len(checked)} runs", not bad))
    s.append(table(["configuration", "min (MB)", "median (MB)", "max (MB)", "runs", "target"], rows) + "\n"
             if rows else "_No dispatch results._\n")
    sections.append("\n".join(s))

    # -- results pages (extra)
    if results:
        s = ["## Results pages\n"]
        s.append("`ferry-bench results`: timings of the results pages on a batch of "
                 f"{settings.get('results_messages', '?'):,} messages in a realistic mix of statuses, through the real router (session, guards, server-side rendering), in process; min / median / max over its own repetitions.\n")
        rows = []
        for r in results:
            backend = "SQLite" if r.get("backend") == "sqlite" else "PostgreSQL"
            reqs = r.get("requests")
            if isinstance(reqs, dict):
                for name, v in reqs.items():
                    if isinstance(v, dict):
                        rows.append((name, backend, fmt(v.get("min_ms"), "ms"), fmt(v.get("median_ms"), "ms"),
                                     fmt(v.get("max_ms"), "ms"), r.get("runs", "?"),
                                     f"{v['bytes']:,}" if isinstance(v.get("bytes"), int) else "–"))
            else:
                for key, v in flatten(r):
                    if isinstance(v, (int, float)) and not isinstance(v, bool) and key not in ("messages", "runs"):
                        rows.append((key, backend, "", fmt(v, "ms"), "", r.get("runs", "?"), ""))
        s.append(table(["request", "backend", "min (ms)", "median (ms)", "max (ms)", "runs", "bytes"], rows) + "\n")
        sections.append("\n".join(s))

    # -- targets summary first
    w("## Targets\n")
    if targets or carried_targets:
        tbl = table(["target", "measured", ""], [(t, m, check(ok)) for t, m, ok in targets])
        w("\n".join([tbl] + [row if "(carried over)" in row else row.rstrip(" |") + " (carried over) |"
                         for row in carried_targets]) + "\n")
    for sec in sections:
        w(sec)

    # -- caveats and failures
    w("## Notes\n")
    w("- The SMSC answers at once and returns each receipt immediately, so these are the gateways' own "
      "costs, not a real network's.\n"
      "- The throwaway PostgreSQL cluster runs with fsync off; SQLite runs with Ferry's own settings.\n"
      "- Figures vary by ±20% between runs on this shared 2-core machine; each JSON line in the raw "
      "results records the 1-minute load average at its start.\n")
    # -- the analysis written by people (why targets are missed, the profile), kept in
    #    bench/analysis.md so that regenerating the tables never loses it
    analysis = os.path.join(ROOT, "bench", "analysis.md")
    if os.path.exists(analysis):
        with open(analysis) as f:
            w(f.read().rstrip() + "\n")
    failed = ([("dispatch", f) for f in dispatch_failed] + [("peer", f) for f in peer_failed] +
              [("intake", f) for f in intake_failed] + [("results", f) for f in results_failed])
    failed_raws = [os.path.basename(f) for p in ("import", "rules", "composer") for f in failed_raw(out, p)]
    if failed or failed_raws:
        w("## Failed runs\n")
        for kind, f in failed:
            w(f"- {kind}: `{f.get('label')}` exited {f.get('rc')} (log: `{f.get('log')}`)")
        for f in failed_raws:
            w(f"- `{f}`")
        w("")
    text = "\n".join(md).rstrip() + "\n"
    with open(md_path, "w") as f:
        f.write(text)
    return text


def flatten(d, prefix=""):
    for k, v in d.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict):
            yield from flatten(v, key + ".")
        else:
            yield key, v


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    sub.add_parser("machine")
    r = sub.add_parser("render")
    r.add_argument("dir")
    r.add_argument("--markdown", default=os.path.join(ROOT, "BENCHMARKS.md"))
    r.add_argument("--chart", default=os.path.join(ROOT, "bench", "throughput.png"))
    a = ap.parse_args()
    if a.cmd == "machine":
        print(json.dumps(machine(), indent=1))
    else:
        render(os.path.abspath(a.dir), os.path.abspath(a.markdown), os.path.abspath(a.chart))


if __name__ == "__main__":
    sys.exit(main())
