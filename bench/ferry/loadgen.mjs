// Load generator for the Ferry half of the peer benchmark (bench/ferry/run.sh): the same
// single-message workload as bench/kannel/loadgen.mjs, sent to Ferry's HTTP API.
//
// 1. Sends exactly N POST /api/v1/messages requests with an API key, one recipient each: message i goes to a distinct number +852 61xxxxxx
//    (base + i; +852 600x xxxx is not a valid Hong Kong number, and Ferry validates) with text "ferry bench <i>", at most C in flight, over keep-alive connections
//    opened at most --connect-burst at a time (the same connection handling as the Kannel load
//    generator, for fairness; Ferry does not need it).
// 2. Waits until the counting SMSC (bench/smsc/counting-smsc.mjs, its control port's /stats) has
//    received N submit_sm and N deliver_sm_resp: Ferry answers a receipt only after it has
//    stored it, so receipt acks = receipts processed.
// 3. Prints one JSON object on stdout (times are Unix epoch ms, fractional):
//    { requests, accepted, rejected, errors, first_request_ms, last_response_ms,
//      smsc_submits, smsc_duplicate_submits, smsc_receipt_acks, smsc_receipt_nacks, last_submit_ms,
//      last_receipt_ack_ms, new_connections, complete }
//    Exit status: 0 when every request was accepted and every receipt was acknowledged.
//
// Usage: node loadgen.mjs --url http://127.0.0.1:PORT --api-key KEY
//                         --smsc-control http://127.0.0.1:PORT [-n 10000] [-c 100]
//                         [--sender-id FerryBench] [--route hk_business]
//                         [--to-base 85261000000] [--timeout-s 600] [--connect-burst 10]
import { cpuMs, load } from '../lib/load.mjs';

function parseArgs(argv) {
  const o = {
    url: null, apiKey: null, smscControl: null, n: 10000, c: 100, senderId: 'FerryBench',
    route: 'hk_business', toBase: 85261000000, timeoutS: 600, connectBurst: 10,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const v = () => {
      if (i + 1 >= argv.length) throw new Error(`${a} needs a value`);
      return argv[++i];
    };
    if (a === '--url') o.url = v();
    else if (a === '--api-key') o.apiKey = v();
    else if (a === '--smsc-control') o.smscControl = v();
    else if (a === '-n') o.n = Number(v());
    else if (a === '-c') o.c = Number(v());
    else if (a === '--sender-id') o.senderId = v();
    else if (a === '--route') o.route = v();
    else if (a === '--to-base') o.toBase = Number(v());
    else if (a === '--timeout-s') o.timeoutS = Number(v());
    else if (a === '--connect-burst') o.connectBurst = Number(v());
    else throw new Error(`unknown argument ${a}`);
  }
  if (!o.url || !o.apiKey || !o.smscControl) throw new Error('--url, --api-key and --smsc-control are required');
  return o;
}

const o = parseArgs(process.argv.slice(2));
const nowMs = () => performance.timeOrigin + performance.now();
const log = (m) => process.stderr.write(`loadgen: ${m}\n`);
const base = new URL(o.url);

// ---- connections: bench/lib/load.mjs, as for Kannel --------------------------------------------
const { request, run, stats: connections } = load(base, o.c, o.connectBurst);
function post(path, body) {
  const data = Buffer.from(JSON.stringify(body));
  return request({
    path, method: 'POST',
    headers: {
      authorization: `Bearer ${o.apiKey}`,
      'content-type': 'application/json',
      accept: 'application/json',
      'content-length': data.length,
    },
  }, data);
}

function sendOne(i) {
  return post('/api/v1/messages', {
    to: [`+${o.toBase + i}`],
    text: `ferry bench ${i}`,
    route: o.route,
    sender_id: o.senderId,
  });
}

async function smscStats() {
  const res = await fetch(`${o.smscControl}/stats`);
  if (!res.ok) throw new Error(`SMSC stats: HTTP ${res.status}`);
  return res.json();
}

// ---- the load ----------------------------------------------------------------------------------
// This process's own CPU from the first request to the last receipt (see BENCHMARKS.md: the
// load generator shares the machine with the gateway it measures).
const cpuAtStart = process.cpuUsage();
const { accepted, rejected, errors, samples, firstRequestMs, lastResponseMs } =
  await run(o.n, sendOne, (status) => status === 201);
log(`${accepted} accepted, ${rejected} rejected, ${errors} errors in ` +
  `${((lastResponseMs - firstRequestMs) / 1000).toFixed(2)} s`);
for (const s of samples) log(`  ${s}`);

// ---- wait for the SMSC to see every submit and every receipt ack -------------------------------
const deadline = nowMs() + o.timeoutS * 1000;
let stats = await smscStats();
let lastLog = 0;
// Distinct submits (a resent message counts once) must reach N, and every receipt the SMSC sent
// (one per submit_sm, duplicates included) must be acknowledged.
const distinct = (st) => st.submits - (st.duplicate_submits ?? 0);
while ((distinct(stats) < accepted || stats.receipt_acks < Math.max(accepted, stats.submits)) &&
  nowMs() < deadline) {
  await new Promise((r) => setTimeout(r, 50));
  stats = await smscStats();
  if (nowMs() - lastLog > 2000) {
    lastLog = nowMs();
    log(`SMSC: ${stats.submits}/${o.n} submits, ${stats.receipt_acks}/${o.n} receipt acks`);
  }
}
const complete = accepted === o.n && distinct(stats) === o.n && stats.receipt_acks >= o.n;
if (stats.duplicate_submits) log(`WARNING: the SMSC received ${stats.duplicate_submits} duplicate submit_sm`);
if (!complete) {
  log(`incomplete: ${accepted}/${o.n} accepted, ${stats.submits} submits, ` +
    `${stats.receipt_acks} receipt acks, ${stats.receipt_nacks} nacks`);
}
process.stdout.write(JSON.stringify({
  requests: o.n, accepted, rejected, errors,
  first_request_ms: firstRequestMs, last_response_ms: lastResponseMs,
  smsc_submits: stats.submits, smsc_duplicate_submits: stats.duplicate_submits,
  smsc_receipt_acks: stats.receipt_acks,
  smsc_receipt_nacks: stats.receipt_nacks,
  last_submit_ms: stats.last_submit_ms, last_receipt_ack_ms: stats.last_receipt_ack_ms,
  new_connections: connections.newConnections, complete,
  loadgen_cpu_ms: cpuMs(process.cpuUsage(cpuAtStart)),
}) + '\n');
process.exit(complete ? 0 : 1);
