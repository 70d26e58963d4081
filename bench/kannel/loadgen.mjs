// Load generator + delivery-report sink for the Kannel benchmark (bench/kannel/run.sh).
//
// 1. Starts an HTTP sink on 127.0.0.1 (free port) that Kannel's smsbox calls back for each
//    delivery report: GET /dlr?i=<message index>&t=<Kannel DLR type, %d>. Type 1 is the final
//    "delivered" report (the SMSC's stat:DELIVRD receipt); 8 is "SMSC accepted" (submit_sm_resp);
//    2 and 16 are failures.
// 2. Sends exactly N sendsms requests (message i goes to a distinct number, base + i, with text
//    "ferry bench <i>"), at most C in flight, over keep-alive connections, each with
//    dlr-mask and a dlr-url pointing at the sink.
// 3. Waits until the sink has a type-1 report for every i (or the timeout passes) and prints one
//    JSON object on stdout (times are Unix epoch ms, fractional):
//    { requests, accepted, rejected, errors, first_request_ms, last_response_ms,
//      final_receipts, failed_receipts, dlr_by_type: {type: count}, last_final_receipt_ms,
//      new_connections, complete }
//    Exit status: 0 when every request was accepted and every final receipt arrived, else 1.
//
// Usage: node loadgen.mjs --sendsms URL --user U --pass P [-n 10000] [-c 100]
//                         [--dlr-mask 31] [--from 12345] [--to-base 85260000000]
//                         [--timeout-s 600] [--connect-burst 10]
//
// Connections: C keep-alive connections, opened at most --connect-burst at a time (a new one
// waits until an earlier one has had its first response). Kannel's HTTP server listens with a
// backlog of 10 (gwlib/socket.c: listen(s, 10)): 100 simultaneous connects overflow it, the
// kernel drops the excess SYNs and the clients retry after 1 s, 3 s, ... -- a fixed 1-3 s stall
// that would otherwise dominate the run. `new_connections` in the output counts the connections
// opened (C when keep-alive held throughout).
import http from 'node:http';
import { cpuMs, load } from '../lib/load.mjs';

function parseArgs(argv) {
  const o = {
    sendsms: null, user: null, pass: null, n: 10000, c: 100, dlrMask: 31,
    from: '12345', toBase: 85260000000, timeoutS: 600, connectBurst: 10,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const v = () => {
      if (i + 1 >= argv.length) throw new Error(`${a} needs a value`);
      return argv[++i];
    };
    if (a === '--sendsms') o.sendsms = v();
    else if (a === '--user') o.user = v();
    else if (a === '--pass') o.pass = v();
    else if (a === '-n') o.n = Number(v());
    else if (a === '-c') o.c = Number(v());
    else if (a === '--dlr-mask') o.dlrMask = Number(v());
    else if (a === '--from') o.from = v();
    else if (a === '--to-base') o.toBase = Number(v());
    else if (a === '--timeout-s') o.timeoutS = Number(v());
    else if (a === '--connect-burst') o.connectBurst = Number(v());
    else throw new Error(`unknown argument ${a}`);
  }
  if (!o.sendsms || !o.user || !o.pass) throw new Error('--sendsms, --user and --pass are required');
  return o;
}

const o = parseArgs(process.argv.slice(2));
const nowMs = () => performance.timeOrigin + performance.now();
const log = (m) => process.stderr.write(`loadgen: ${m}\n`);

// ---- the sink ------------------------------------------------------------------------------
const delivered = new Uint8Array(o.n); // 1 once message i's final delivered report arrived
const failedSeen = new Uint8Array(o.n);
const dlrByType = {};
let finalReceipts = 0;
let failedReceipts = 0;
let lastFinalMs = null;
let onAllDelivered = null;

const sink = http.createServer((req, res) => {
  const u = new URL(req.url, 'http://sink');
  if (u.pathname === '/dlr') {
    const i = Number(u.searchParams.get('i'));
    const t = u.searchParams.get('t');
    dlrByType[t] = (dlrByType[t] ?? 0) + 1;
    if (Number.isInteger(i) && i >= 0 && i < o.n) {
      if (t === '1' && !delivered[i]) {
        delivered[i] = 1;
        finalReceipts++;
        lastFinalMs = nowMs();
        if (finalReceipts === o.n && onAllDelivered) onAllDelivered();
      } else if ((t === '2' || t === '16') && !failedSeen[i]) {
        failedSeen[i] = 1;
        failedReceipts++;
      }
    }
  }
  res.writeHead(200, { 'content-type': 'text/plain' });
  res.end('ok');
});
sink.keepAliveTimeout = 60_000;
await new Promise((r) => sink.listen(0, '127.0.0.1', r));
const sinkPort = sink.address().port;
log(`sink on 127.0.0.1:${sinkPort}`);

// ---- the load ------------------------------------------------------------------------------
const base = new URL(o.sendsms);
const { request, run, stats: connections } = load(base, o.c, o.connectBurst);

function sendOne(i) {
  const q = new URLSearchParams({
    username: o.user,
    password: o.pass,
    from: o.from,
    to: String(o.toBase + i),
    text: `ferry bench ${i}`,
    'dlr-mask': String(o.dlrMask),
    // %d is replaced by smsbox with the report type; i identifies the message.
    'dlr-url': `http://127.0.0.1:${sinkPort}/dlr?i=${i}&t=%d`,
  });
  return request({ path: `${base.pathname}?${q}`, method: 'GET' });
}

// This process's own CPU from the first request to the last receipt (see BENCHMARKS.md: the
// load generator shares the machine with the gateway it measures).
const cpuAtStart = process.cpuUsage();
const { accepted, rejected, errors, samples, firstRequestMs, lastResponseMs } =
  await run(o.n, sendOne, (status) => status === 202 || status === 200);
log(`${accepted} accepted, ${rejected} rejected, ${errors} errors in ` +
  `${((lastResponseMs - firstRequestMs) / 1000).toFixed(2)} s`);
for (const s of samples) log(`  ${s}`);

// ---- wait for the receipts -----------------------------------------------------------------
if (finalReceipts < o.n) {
  await new Promise((resolve) => {
    onAllDelivered = resolve;
    const deadline = setTimeout(resolve, o.timeoutS * 1000);
    deadline.unref();
    let last = -1;
    const progress = setInterval(() => {
      if (finalReceipts !== last) log(`${finalReceipts}/${o.n} final receipts`);
      last = finalReceipts;
    }, 2000);
    progress.unref();
  });
}
const complete = accepted === o.n && finalReceipts === o.n;
if (!complete) {
  const missing = [];
  for (let i = 0; i < o.n && missing.length < 5; i++) if (!delivered[i]) missing.push(i);
  log(`incomplete: ${finalReceipts}/${o.n} final receipts; first missing: ${missing.join(', ')}`);
}
process.stdout.write(JSON.stringify({
  requests: o.n, accepted, rejected, errors,
  first_request_ms: firstRequestMs, last_response_ms: lastResponseMs,
  final_receipts: finalReceipts, failed_receipts: failedReceipts, dlr_by_type: dlrByType,
  last_final_receipt_ms: lastFinalMs, new_connections: connections.newConnections, complete,
  loadgen_cpu_ms: cpuMs(process.cpuUsage(cpuAtStart)),
}) + '\n');
sink.close();
sink.closeAllConnections?.();
process.exit(complete ? 0 : 1);
