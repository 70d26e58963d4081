// A third-party SMSC for benchmarks: the npm package `smpp` (node-smpp) as a server, like
// end2end/smpp-peers/npm-smsc.mjs, but instrumented. It accepts any bind (transceiver, or
// transmitter + receiver on separate connections), answers every submit_sm with a hex message
// id and sends, for every submit, a standard SMPP 3.4 Appendix B receipt
//   id:<ID> sub:001 dlvrd:001 submit date:<YYMMDDhhmm> done date:<YYMMDDhhmm> stat:DELIVRD err:000 text:
// as deliver_sm with esm_class 0x04. A receipt goes back on the session the submit came in on
// when that session is a transceiver; otherwise to a receiver-bound session (preferring one
// with the same system_id), and is held until one binds if none has yet.
//
// It counts submit_sm received, receipts sent and deliver_sm_resp received, and keeps a
// per-second timeline of submits and receipt acknowledgements. It also counts duplicate
// submits: a submit_sm whose destination and short message (UDH included, so each part of a
// concatenated message is its own, but not the concatenation reference number) it has already
// received -- a gateway resending a message.
//
// Usage: node counting-smsc.mjs [--port N] [--host 127.0.0.1] [--stats FILE]
//                               [--control-port N] [--receipt-delay-ms N]
//   --port 0 (default) picks a free port; prints "listening <port>" on stdout when ready.
//   --stats FILE        writes the stats JSON (below) to FILE every 500 ms and on exit
//                       (written to FILE.tmp, then renamed, so a reader never sees half a file).
//   --control-port N    also serves GET /stats (the same JSON) and POST /reset on 127.0.0.1:N
//                       (0 = pick a port; the chosen one is printed as "control <port>").
//   --receipt-delay-ms  wait this long after the submit_sm_resp before sending the receipt (0).
// On SIGTERM/SIGINT it writes the stats file, prints the stats JSON on stderr and exits 0.
//
// Stats JSON: times are Unix epoch milliseconds (fractional), null until the event happened.
//   { submits, duplicate_submits, submit_resps_sent, receipts_sent, receipts_pending, receipt_acks, receipt_nacks,
//     first_submit_ms, last_submit_ms, last_receipt_sent_ms, last_receipt_ack_ms,
//     binds: [{ kind, system_id, at_ms }], sessions_open,
//     timeline: [{ t, submits, receipt_acks }] }   // t = whole epoch second, ascending
import { createRequire } from 'node:module';
import { writeFileSync, renameSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

// Resolve `smpp` from the project's end2end/node_modules, relative to this script, so it works
// in any clone (bench/smsc/ -> ../../end2end/).
const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(here, '..', '..', 'end2end', 'package.json'));
const smpp = require('smpp');

function parseArgs(argv) {
  const opts = { port: 0, host: '127.0.0.1', stats: null, controlPort: null, receiptDelayMs: 0 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = () => {
      if (i + 1 >= argv.length) throw new Error(`${a} needs a value`);
      return argv[++i];
    };
    if (a === '--port') opts.port = Number(next());
    else if (a === '--host') opts.host = next();
    else if (a === '--stats') opts.stats = next();
    else if (a === '--control-port') opts.controlPort = Number(next());
    else if (a === '--receipt-delay-ms') opts.receiptDelayMs = Number(next());
    else if (/^\d+$/.test(a)) opts.port = Number(a); // positional port, as npm-smsc.mjs takes
    else throw new Error(`unknown argument ${a}`);
  }
  return opts;
}

const opts = parseArgs(process.argv.slice(2));
const nowMs = () => performance.timeOrigin + performance.now();
// YYMMDDhhmm, formatted once a minute rather than for every receipt.
let dateMinute = -1;
let dateText = '';
const date = () => {
  const minute = Math.floor(Date.now() / 60_000);
  if (minute !== dateMinute) {
    dateMinute = minute;
    dateText = new Date(minute * 60_000).toISOString().replace(/\D/g, '').slice(2, 12);
  }
  return dateText;
};

const stats = {
  submits: 0,
  duplicate_submits: 0,
  submit_resps_sent: 0,
  receipts_sent: 0,
  receipts_pending: 0,
  receipt_acks: 0,
  receipt_nacks: 0,
  first_submit_ms: null,
  last_submit_ms: null,
  last_receipt_sent_ms: null,
  last_receipt_ack_ms: null,
  binds: [],
};
const timeline = new Map(); // epoch second -> { submits, receipt_acks }
const seen = new Set(); // destination + short message of every submit_sm, for duplicate_submits
// A concatenation UDH element without its reference number (a gateway may pick a new one when
// it resends): 00 03 REF TOTAL SEQ -> 00 TOTAL SEQ; 08 04 REF REF TOTAL SEQ -> 08 TOTAL SEQ.
function udhKey(u) {
  const b = Buffer.from(u);
  if (b[0] === 0x00 && b.length >= 5) return `00${b.subarray(3).toString('hex')}`;
  if (b[0] === 0x08 && b.length >= 6) return `08${b.subarray(4).toString('hex')}`;
  return b.toString('hex');
}
function submitKey(pdu) {
  const m = pdu.short_message;
  const body = m && typeof m === 'object' && !Buffer.isBuffer(m)
    ? `${m.udh ? m.udh.map(udhKey).join('.') : ''}:${Buffer.isBuffer(m.message) ? m.message.toString('hex') : m.message}`
    : Buffer.isBuffer(m) ? m.toString('hex') : String(m);
  const payload = pdu.message_payload ? JSON.stringify(pdu.message_payload) : '';
  return `${pdu.destination_addr}|${pdu.sar_total_segments ?? ''}/${pdu.sar_segment_seqnum ?? ''}|${body}|${payload}`;
}
function tick(field, ms) {
  const t = Math.floor(ms / 1000);
  let b = timeline.get(t);
  if (!b) {
    b = { t, submits: 0, receipt_acks: 0 };
    timeline.set(t, b);
  }
  b[field]++;
}
function snapshot() {
  return {
    ...stats,
    sessions_open: sessions.size,
    timeline: [...timeline.values()].sort((a, b) => a.t - b.t),
  };
}

// Session bookkeeping: kind is 'transceiver', 'transmitter' or 'receiver' once bound.
const sessions = new Map(); // session -> { kind, system_id }
const heldReceipts = []; // receipts waiting for a receiver-bound session
let rr = 0;

function receiverFor(origin) {
  const info = sessions.get(origin);
  if (info && info.kind === 'transceiver') return origin;
  const candidates = [...sessions.entries()].filter(
    ([s, i]) => (i.kind === 'receiver' || i.kind === 'transceiver') && s.socket.writable,
  );
  if (candidates.length === 0) return null;
  const same = candidates.filter(([, i]) => info && i.system_id === info.system_id);
  const pool = same.length ? same : candidates;
  return pool[rr++ % pool.length][0];
}

function sendReceipt(session, receipt) {
  const ok = session.deliver_sm(receipt, (resp) => {
    const t = nowMs();
    if (resp.command_status === 0) {
      stats.receipt_acks++;
      stats.last_receipt_ack_ms = t;
      tick('receipt_acks', t);
    } else {
      stats.receipt_nacks++;
    }
  });
  if (ok) {
    stats.receipts_sent++;
    stats.last_receipt_sent_ms = nowMs();
  }
  return ok;
}

function deliverReceipt(origin, receipt) {
  const target = receiverFor(origin);
  if (!target || !sendReceipt(target, receipt)) {
    heldReceipts.push(receipt);
    stats.receipts_pending = heldReceipts.length;
  }
}

function flushHeld() {
  while (heldReceipts.length) {
    const target = receiverFor(null);
    if (!target) break;
    const r = heldReceipts.shift();
    if (!sendReceipt(target, r)) {
      heldReceipts.unshift(r);
      break;
    }
  }
  stats.receipts_pending = heldReceipts.length;
}

let nextId = 0x10000;

const server = smpp.createServer({}, (session) => {
  session.socket.setNoDelay(true); // as Ferry does: no Nagle delay on request/response traffic
  // The replies to the PDUs of one read (their submit_sm_resp and receipts) leave in one write
  // (writev), as a loaded SMSC's do. node-smpp writes each PDU on its own, and those writes
  // cost this process more CPU than anything else (a quarter of it, measured with --cpu-prof
  // at 5,000 messages/s), which on two shared cores is CPU the gateway under test did not get.
  // node-smpp emits every PDU of a read synchronously, so the writes are released on the next
  // tick, before any further I/O.
  let corked = false;
  const uncork = () => {
    corked = false;
    session.socket.uncork();
  };
  const batchWrites = () => {
    if (corked) return;
    corked = true;
    session.socket.cork();
    process.nextTick(uncork);
  };
  session.on('error', () => {}); // the client may drop us at any time
  session.on('close', () => sessions.delete(session));
  const bind = (kind) => (pdu) => {
    sessions.set(session, { kind, system_id: pdu.system_id });
    stats.binds.push({ kind, system_id: pdu.system_id, at_ms: nowMs() });
    session.send(pdu.response({ system_id: 'counting-smsc' }));
    if (kind !== 'transmitter') flushHeld();
  };
  session.on('bind_transceiver', bind('transceiver'));
  session.on('bind_transmitter', bind('transmitter'));
  session.on('bind_receiver', bind('receiver'));
  session.on('enquire_link', (pdu) => session.send(pdu.response()));
  session.on('unbind', (pdu) => {
    sessions.delete(session);
    session.send(pdu.response());
    session.close();
  });
  session.on('submit_sm', (pdu) => {
    batchWrites();
    const t = nowMs();
    stats.submits++;
    const key = submitKey(pdu);
    if (seen.has(key)) stats.duplicate_submits++;
    else seen.add(key);
    if (stats.first_submit_ms === null) stats.first_submit_ms = t;
    stats.last_submit_ms = t;
    tick('submits', t);
    const id = (nextId++).toString(16).toUpperCase();
    session.send(pdu.response({ message_id: id }));
    stats.submit_resps_sent++;
    const when = date();
    const receipt = {
      source_addr_ton: pdu.dest_addr_ton,
      source_addr_npi: pdu.dest_addr_npi,
      source_addr: pdu.destination_addr,
      dest_addr_ton: pdu.source_addr_ton,
      dest_addr_npi: pdu.source_addr_npi,
      destination_addr: pdu.source_addr,
      esm_class: 0x04,
      // The bytes node-smpp would send for this text as a string (it detects GSM-compatible
      // ASCII and sends data_coding 1), without its per-character encoding detection.
      data_coding: 0x01,
      short_message: Buffer.from(
        `id:${id} sub:001 dlvrd:001 submit date:${when} done date:${when} stat:DELIVRD err:000 text:`,
        'latin1',
      ),
    };
    if (opts.receiptDelayMs > 0) setTimeout(() => deliverReceipt(session, receipt), opts.receiptDelayMs);
    else deliverReceipt(session, receipt);
  });
});

function writeStats() {
  if (!opts.stats) return;
  const tmp = `${opts.stats}.tmp`;
  writeFileSync(tmp, JSON.stringify(snapshot()) + '\n');
  renameSync(tmp, opts.stats);
}

let statsTimer = null;
let control = null;
if (opts.stats) statsTimer = setInterval(writeStats, 500);

function shutdown() {
  if (statsTimer) clearInterval(statsTimer);
  try {
    writeStats();
  } catch (e) {
    process.stderr.write(`counting-smsc: cannot write stats: ${e.message}\n`);
  }
  process.stderr.write(JSON.stringify(snapshot()) + '\n');
  process.exit(0);
}
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);

server.listen(opts.port, opts.host, () => {
  console.log(`listening ${server.address().port}`);
  if (opts.controlPort !== null) {
    control = createHttpServer((req, res) => {
      if (req.method === 'GET' && req.url === '/stats') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(snapshot()));
      } else if (req.method === 'POST' && req.url === '/reset') {
        seen.clear();
        Object.assign(stats, {
          submits: 0, duplicate_submits: 0, submit_resps_sent: 0, receipts_sent: 0, receipt_acks: 0, receipt_nacks: 0,
          first_submit_ms: null, last_submit_ms: null, last_receipt_sent_ms: null,
          last_receipt_ack_ms: null,
        });
        timeline.clear();
        res.writeHead(204).end();
      } else {
        res.writeHead(404).end();
      }
    });
    control.listen(opts.controlPort, '127.0.0.1', () => {
      console.log(`control ${control.address().port}`);
    });
  }
  if (opts.stats) writeStats();
});
