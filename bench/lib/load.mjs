// What the load generators share, so Ferry and Kannel are driven exactly alike: the HTTP
// agent, the request that counts new connections, and the pool of workers that sends each
// message once and tallies the answers.
import http from 'node:http';

const nowMs = () => performance.timeOrigin + performance.now();

/// User + system milliseconds of a `process.cpuUsage()` reading (microseconds).
export const cpuMs = (u) => Math.round((u.user + u.system) / 1000);

/// Keep-alive connections, `connections` at most, and at most `connectBurst` of them opening
/// (connected but not yet answered) at once, so a run measures the server, not a SYN flood.
function burstLimitedAgent(connections, connectBurst) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: connections, maxFreeSockets: connections });
  let opening = 0;
  const waitingToOpen = [];
  const plainCreate = agent.createConnection.bind(agent);
  agent.createConnection = (options, callback) => {
    const open = () => {
      opening++;
      const socket = plainCreate(options);
      let released = false;
      const release = () => {
        if (released) return;
        released = true;
        opening--;
        if (waitingToOpen.length) waitingToOpen.shift()();
      };
      socket.once('data', release);
      socket.once('close', release);
      callback(null, socket);
    };
    if (opening < connectBurst) open();
    else waitingToOpen.push(open);
    return undefined; // the socket comes through the callback
  };
  return agent;
}

/// A load against `base` (a URL) over `connections` connections. `request(options, body)`
/// answers `{ status, body }` (status 0 and the error's message when there was no answer);
/// `run(n, sendOne, isAccepted)` sends messages 0..n-1 through `sendOne(i)` from as many
/// workers as connections and returns the tally.
export function load(base, connections, connectBurst) {
  const agent = burstLimitedAgent(connections, connectBurst);
  const stats = { newConnections: 0 };
  function request(options, body) {
    return new Promise((resolve) => {
      const req = http.request(
        { host: base.hostname, port: base.port, agent, timeout: 120_000, ...options },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (d) => (text += d));
          res.on('end', () => resolve({ status: res.statusCode, body: text }));
        },
      );
      req.on('socket', () => {
        if (!req.reusedSocket) stats.newConnections++;
      });
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', (e) => resolve({ status: 0, body: e.message }));
      req.end(body);
    });
  }
  async function run(n, sendOne, isAccepted) {
    const tally = { accepted: 0, rejected: 0, errors: 0, samples: [], firstRequestMs: nowMs(), lastResponseMs: null };
    let next = 0;
    async function worker() {
      while (next < n) {
        const i = next++;
        let r = await sendOne(i);
        // Only a refused connection is retried (once): that request never reached the server.
        // Any other failure is counted, never retried, so no message is ever sent twice.
        if (r.status === 0 && /ECONNREFUSED/.test(r.body)) r = await sendOne(i);
        tally.lastResponseMs = nowMs();
        if (isAccepted(r.status)) tally.accepted++;
        else {
          if (r.status === 0) tally.errors++;
          else tally.rejected++;
          if (tally.samples.length < 5) tally.samples.push(`#${i}: ${r.status} ${r.body.trim().slice(0, 300)}`);
        }
      }
    }
    await Promise.all(Array.from({ length: Math.min(connections, n) }, worker));
    agent.destroy();
    return tally;
  }
  return { request, run, stats };
}
