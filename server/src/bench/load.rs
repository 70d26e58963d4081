//! The load generator of the peer benchmark (`ferry-bench load-ferry`, `ferry-bench
//! load-kannel`; bench/ferry/run.sh and bench/kannel/run.sh): the same single-message workload
//! sent to either gateway, driven exactly alike.
//!
//! Why it is written in Rust: the benchmark's gateways share two cores with it, so every
//! microsecond it spends per request is taken from the gateway it measures. Node's `http`
//! client spent 120–200 µs per request there, as much as Ferry itself; this one spends a
//! fraction of that, on one thread (as Node did). `--loadgen node` in the scripts still runs the
//! JavaScript one (bench/ferry/loadgen.mjs, bench/kannel/loadgen.mjs), which this mirrors field
//! for field.
//!
//! Both loads: exactly N requests, message i to the distinct number `to_base + i` with the text
//! `ferry bench <i>`, at most C in flight over C keep-alive connections, opened at most
//! `connect_burst` at a time (a new connection counts as opening until its first answer:
//! Kannel's HTTP server listens with a backlog of 10, and 100 simultaneous connects would
//! overflow it into 1–3 s SYN retries). A request that failed is counted, never resent, except
//! a refused connection (it never reached the server), retried once.

use axum::body::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;
use serde_json::json;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, AtomicU8, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::sync::{Notify, Semaphore};

use super::BenchError;

/// What both loads are told.
#[derive(Debug, Clone)]
pub struct Load {
    /// Requests to send, one message each.
    pub n: u64,
    /// Requests in flight (and connections).
    pub c: usize,
    /// Message i goes to `to_base + i`.
    pub to_base: u64,
    /// How long to wait for the receipts after the last answer.
    pub timeout: Duration,
    pub connect_burst: usize,
}

/// Ferry's half: `POST /api/v1/messages` with an API key; done when the counting SMSC (its
/// control port's `/stats`) has N distinct submits and an acknowledgement for every receipt
/// it sent (Ferry acknowledges a receipt only once it is stored).
#[derive(Debug, Clone)]
pub struct FerryLoad {
    pub load: Load,
    pub url: String,
    pub api_key: String,
    pub smsc_control: String,
    pub sender_id: String,
    pub route: String,
}

/// Kannel's half: `GET /cgi-bin/sendsms` with a `dlr-url` pointing at a sink this process
/// serves; done when the sink has had the final (type 1, delivered) report for every message.
#[derive(Debug, Clone)]
pub struct KannelLoad {
    pub load: Load,
    pub sendsms: String,
    pub user: String,
    pub pass: String,
    pub from: String,
    pub dlr_mask: u32,
}

/// Unix epoch milliseconds, fractional, as the JavaScript load generators print them.
fn now_ms() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64() * 1000.0)
}

/// This process's user + system CPU in microseconds (every thread).
fn cpu_us() -> u64 {
    // SAFETY: getrusage writes into the struct it is given and reads nothing else.
    let usage = unsafe {
        let mut usage = std::mem::zeroed::<libc::rusage>();
        libc::getrusage(libc::RUSAGE_SELF, &mut usage);
        usage
    };
    let us = |t: libc::timeval| {
        u64::try_from(t.tv_sec).unwrap_or(0) * 1_000_000 + u64::try_from(t.tv_usec).unwrap_or(0)
    };
    us(usage.ru_utime) + us(usage.ru_stime)
}

fn setup(what: impl std::fmt::Display) -> BenchError {
    BenchError::Setup(what.to_string())
}

/// `http://IP:PORT/…` → the address to connect to, and the URL parsed.
fn split_url(url: &str) -> Result<(SocketAddr, hyper::Uri), BenchError> {
    let uri: hyper::Uri = url.parse().map_err(|e| setup(format!("{url}: {e}")))?;
    if uri.scheme_str() != Some("http") {
        return Err(setup(format!("{url}: only http:// is supported")));
    }
    let authority = uri
        .authority()
        .ok_or_else(|| setup(format!("{url}: no host")))?;
    let addr = authority
        .as_str()
        .parse()
        .map_err(|e| setup(format!("{url}: the host must be IP:PORT ({e})")))?;
    Ok((addr, uri))
}

/// One request of a load: how to build message i's request.
trait Request: Send + Sync + 'static {
    fn request(&self, i: u64, host: &str) -> hyper::http::Result<hyper::Request<Full<Bytes>>>;
    fn accepted(&self, status: u16) -> bool;
}

/// The tally of the requests (the `run` half of bench/lib/load.mjs).
#[derive(Default)]
struct Tally {
    accepted: AtomicU64,
    rejected: AtomicU64,
    errors: AtomicU64,
    new_connections: AtomicU64,
    last_response_ms: Mutex<Option<f64>>,
    samples: Mutex<Vec<String>>,
}

impl Tally {
    fn answer(&self, i: u64, status: u16, body: &[u8], accepted: bool) {
        *self
            .last_response_ms
            .lock()
            .unwrap_or_else(|e| e.into_inner()) = Some(now_ms());
        if accepted {
            self.accepted.fetch_add(1, Ordering::Relaxed);
            return;
        }
        if status == 0 {
            self.errors.fetch_add(1, Ordering::Relaxed);
        } else {
            self.rejected.fetch_add(1, Ordering::Relaxed);
        }
        let mut samples = self.samples.lock().unwrap_or_else(|e| e.into_inner());
        if samples.len() < 5 {
            let text = String::from_utf8_lossy(body);
            let text: String = text.trim().chars().take(300).collect();
            samples.push(format!("#{i}: {status} {text}"));
        }
    }
}

/// A keep-alive connection of one worker, and whether it still counts as opening.
struct Connection {
    sender: SendRequest<Full<Bytes>>,
    opening: Option<tokio::sync::OwnedSemaphorePermit>,
}

enum Sent {
    Answer(u16, Bytes),
    Refused(String),
    Failed(String),
}

async fn connect(
    addr: SocketAddr,
    burst: &Arc<Semaphore>,
    tally: &Tally,
) -> Result<Connection, Sent> {
    let opening = Arc::clone(burst)
        .acquire_owned()
        .await
        .map_err(|e| Sent::Failed(e.to_string()))?;
    let stream = tokio::net::TcpStream::connect(addr)
        .await
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::ConnectionRefused => Sent::Refused(e.to_string()),
            _ => Sent::Failed(e.to_string()),
        })?;
    stream
        .set_nodelay(true)
        .map_err(|e| Sent::Failed(e.to_string()))?;
    let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| Sent::Failed(e.to_string()))?;
    tokio::spawn(async move {
        // Ends when the worker drops its sender or the server closes; either is the end.
        let _ = connection.await;
    });
    tally.new_connections.fetch_add(1, Ordering::Relaxed);
    Ok(Connection {
        sender,
        opening: Some(opening),
    })
}

async fn send(
    connection: &mut Option<Connection>,
    addr: SocketAddr,
    burst: &Arc<Semaphore>,
    tally: &Tally,
    request: hyper::Request<Full<Bytes>>,
) -> Sent {
    if connection.as_ref().is_none_or(|c| c.sender.is_closed()) {
        *connection = None;
        let mut connected = connect(addr, burst, tally).await;
        if matches!(connected, Err(Sent::Refused(_))) {
            // A refused connection never reached the server: tried once more.
            connected = connect(addr, burst, tally).await;
        }
        match connected {
            Ok(c) => *connection = Some(c),
            Err(e) => return e,
        }
    }
    let Some(open) = connection.as_mut() else {
        return Sent::Failed("no connection".into());
    };
    let answer = async {
        open.sender.ready().await?;
        let response = open.sender.send_request(request).await?;
        let status = response.status().as_u16();
        let body = response.into_body().collect().await?.to_bytes();
        Ok::<_, hyper::Error>((status, body))
    };
    match tokio::time::timeout(Duration::from_secs(120), answer).await {
        Ok(Ok((status, body))) => {
            // Its first answer: the connection is open, and the next one may start opening.
            open.opening = None;
            Sent::Answer(status, body)
        }
        Ok(Err(e)) => {
            *connection = None;
            Sent::Failed(e.to_string())
        }
        Err(_) => {
            *connection = None;
            Sent::Failed("timeout".into())
        }
    }
}

/// Sends messages 0..n through `request` from `c` workers, each on its own connection.
async fn run(
    load: &Load,
    url: &str,
    request: Arc<dyn Request>,
) -> Result<(Arc<Tally>, f64), BenchError> {
    let (addr, _) = split_url(url)?;
    let host = addr.to_string();
    let tally = Arc::new(Tally::default());
    let next = Arc::new(AtomicU64::new(0));
    let burst = Arc::new(Semaphore::new(load.connect_burst.max(1)));
    let first_request_ms = now_ms();
    let workers = (0..load.c.min(usize::try_from(load.n).unwrap_or(usize::MAX)))
        .map(|_| {
            let (tally, next, burst, request, host) = (
                Arc::clone(&tally),
                Arc::clone(&next),
                Arc::clone(&burst),
                Arc::clone(&request),
                host.clone(),
            );
            let n = load.n;
            tokio::spawn(async move {
                let mut connection = None;
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= n {
                        break;
                    }
                    let sent = match request.request(i, &host) {
                        Ok(built) => send(&mut connection, addr, &burst, &tally, built).await,
                        Err(e) => Sent::Failed(format!("cannot build the request: {e}")),
                    };
                    match sent {
                        Sent::Answer(status, body) => {
                            tally.answer(i, status, &body, request.accepted(status))
                        }
                        Sent::Refused(e) | Sent::Failed(e) => {
                            tally.answer(i, 0, e.as_bytes(), false)
                        }
                    }
                }
            })
        })
        .collect::<Vec<_>>();
    for worker in workers {
        worker
            .await
            .map_err(|e| setup(format!("load worker: {e}")))?;
    }
    Ok((tally, first_request_ms))
}

fn log(message: impl std::fmt::Display) {
    eprintln!("loadgen: {message}");
}

impl Tally {
    /// The fields both loads print about their requests, with `complete` and this
    /// process's CPU since `cpu_at_start`, then the load's own `fields`.
    fn line(
        &self,
        n: u64,
        first_request_ms: f64,
        complete: bool,
        cpu_at_start: u64,
        fields: serde_json::Value,
    ) -> serde_json::Value {
        let mut line = json!({
            "requests": n,
            "accepted": self.accepted.load(Ordering::Relaxed),
            "rejected": self.rejected.load(Ordering::Relaxed),
            "errors": self.errors.load(Ordering::Relaxed),
            "first_request_ms": first_request_ms,
            "last_response_ms": *self.last_response_ms.lock().unwrap_or_else(|e| e.into_inner()),
            "new_connections": self.new_connections.load(Ordering::Relaxed),
            "complete": complete,
            "loadgen_cpu_ms": (cpu_us() - cpu_at_start) / 1000,
            "loadgen": "rust",
        });
        if let (Some(line), serde_json::Value::Object(fields)) = (line.as_object_mut(), fields) {
            line.extend(fields);
        }
        line
    }
}

fn log_tally(tally: &Tally, first_request_ms: f64) {
    let last = tally
        .last_response_ms
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .unwrap_or(first_request_ms);
    log(format!(
        "{} accepted, {} rejected, {} errors in {:.2} s",
        tally.accepted.load(Ordering::Relaxed),
        tally.rejected.load(Ordering::Relaxed),
        tally.errors.load(Ordering::Relaxed),
        (last - first_request_ms) / 1000.0
    ));
    for sample in tally
        .samples
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .iter()
    {
        log(format!("  {sample}"));
    }
}

struct FerrySend {
    path: String,
    authorization: String,
    to_base: u64,
    sender_id: String,
    route: String,
}

impl Request for FerrySend {
    fn request(&self, i: u64, host: &str) -> hyper::http::Result<hyper::Request<Full<Bytes>>> {
        let body = json!({
            "to": [format!("+{}", self.to_base + i)],
            "text": format!("ferry bench {i}"),
            "route": self.route,
            "sender_id": self.sender_id,
        })
        .to_string();
        hyper::Request::post(self.path.as_str())
            .header(hyper::header::HOST, host)
            .header(hyper::header::AUTHORIZATION, self.authorization.as_str())
            .header(hyper::header::CONTENT_TYPE, "application/json")
            .header(hyper::header::ACCEPT, "application/json")
            .body(Full::new(Bytes::from(body)))
    }

    fn accepted(&self, status: u16) -> bool {
        status == 201
    }
}

/// One GET on a fresh connection: its status and body.
async fn get(url: &str) -> Result<(hyper::StatusCode, Bytes), BenchError> {
    let failed = |e: &dyn std::fmt::Display| setup(format!("{url}: {e}"));
    let (addr, uri) = split_url(url)?;
    let path = uri.path_and_query().map_or("/", |p| p.as_str());
    let stream = tokio::net::TcpStream::connect(addr)
        .await
        .map_err(|e| failed(&e))?;
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| failed(&e))?;
    tokio::spawn(async move {
        let _ = connection.await;
    });
    let request = hyper::Request::get(path)
        .header(hyper::header::HOST, addr.to_string())
        .body(Full::new(Bytes::new()))
        .map_err(|e| failed(&e))?;
    let response = sender.send_request(request).await.map_err(|e| failed(&e))?;
    let status = response.status();
    let body = response
        .into_body()
        .collect()
        .await
        .map_err(|e| failed(&e))?
        .to_bytes();
    Ok((status, body))
}

/// [`get`] on the SMSC's control port, parsed as JSON.
async fn get_json(url: &str) -> Result<serde_json::Value, BenchError> {
    let (status, body) = get(url).await?;
    if !status.is_success() {
        return Err(setup(format!("{url}: HTTP {status}")));
    }
    serde_json::from_slice(&body).map_err(|e| setup(format!("{url}: {e}")))
}

/// Ferry's half; the JSON line of bench/ferry/loadgen.mjs, and whether the run was complete.
pub async fn ferry(args: FerryLoad) -> Result<(serde_json::Value, bool), BenchError> {
    let (_, uri) = split_url(&format!(
        "{}/api/v1/messages",
        args.url.trim_end_matches('/')
    ))?;
    let request = Arc::new(FerrySend {
        path: uri.path().to_string(),
        authorization: format!("Bearer {}", args.api_key),
        to_base: args.load.to_base,
        sender_id: args.sender_id.clone(),
        route: args.route.clone(),
    });
    let stats_url = format!("{}/stats", args.smsc_control.trim_end_matches('/'));
    let cpu_at_start = cpu_us();
    let (tally, first_request_ms) = run(&args.load, &args.url, request).await?;
    log_tally(&tally, first_request_ms);
    let accepted = tally.accepted.load(Ordering::Relaxed);

    // Distinct submits (a resent message counts once) must reach the accepted count, and every
    // receipt the SMSC sent (one per submit_sm, duplicates included) must be acknowledged.
    let count = |stats: &serde_json::Value, key: &str| stats[key].as_u64().unwrap_or(0);
    let deadline = tokio::time::Instant::now() + args.load.timeout;
    let mut stats = get_json(&stats_url).await?;
    let mut last_log = tokio::time::Instant::now();
    loop {
        let distinct = count(&stats, "submits") - count(&stats, "duplicate_submits");
        let acks = count(&stats, "receipt_acks");
        if (distinct >= accepted && acks >= accepted.max(count(&stats, "submits")))
            || tokio::time::Instant::now() >= deadline
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
        stats = get_json(&stats_url).await?;
        if last_log.elapsed() > Duration::from_secs(2) {
            last_log = tokio::time::Instant::now();
            log(format!(
                "SMSC: {}/{} submits, {}/{} receipt acks",
                count(&stats, "submits"),
                args.load.n,
                count(&stats, "receipt_acks"),
                args.load.n
            ));
        }
    }
    let n = args.load.n;
    let distinct = count(&stats, "submits") - count(&stats, "duplicate_submits");
    let complete = accepted == n && distinct == n && count(&stats, "receipt_acks") >= n;
    if count(&stats, "duplicate_submits") > 0 {
        log(format!(
            "WARNING: the SMSC received {} duplicate submit_sm",
            count(&stats, "duplicate_submits")
        ));
    }
    if !complete {
        log(format!(
            "incomplete: {accepted}/{n} accepted, {} submits, {} receipt acks, {} nacks",
            count(&stats, "submits"),
            count(&stats, "receipt_acks"),
            count(&stats, "receipt_nacks")
        ));
    }
    let line = tally.line(
        n,
        first_request_ms,
        complete,
        cpu_at_start,
        json!({
            "smsc_submits": stats["submits"],
            "smsc_duplicate_submits": stats["duplicate_submits"],
            "smsc_receipt_acks": stats["receipt_acks"],
            "smsc_receipt_nacks": stats["receipt_nacks"],
            "last_submit_ms": stats["last_submit_ms"],
            "last_receipt_ack_ms": stats["last_receipt_ack_ms"],
        }),
    );
    Ok((line, complete))
}

struct KannelSend {
    path: String,
    query_head: String,
    dlr_url_head: String,
    to_base: u64,
    dlr_mask: u32,
}

impl Request for KannelSend {
    fn request(&self, i: u64, host: &str) -> hyper::http::Result<hyper::Request<Full<Bytes>>> {
        // The same query as bench/kannel/loadgen.mjs's URLSearchParams, in the same order;
        // `%d` in the dlr-url is replaced by smsbox with the report's type.
        let dlr_url = format!("{}{i}&t=%d", self.dlr_url_head);
        let uri = format!(
            "{}?{}&to={}&text=ferry+bench+{i}&dlr-mask={}&dlr-url={}",
            self.path,
            self.query_head,
            self.to_base + i,
            self.dlr_mask,
            form_encode(&dlr_url)
        );
        hyper::Request::get(uri)
            .header(hyper::header::HOST, host)
            .body(Full::new(Bytes::new()))
    }

    fn accepted(&self, status: u16) -> bool {
        status == 202 || status == 200
    }
}

/// `application/x-www-form-urlencoded`, as URLSearchParams writes it.
fn form_encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len() * 3);
    for b in value.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'*' | b'-' | b'.' | b'_' => {
                out.push(char::from(b))
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// The delivery-report sink Kannel's smsbox calls: `GET /dlr?i=<message>&t=<type>`.
struct Sink {
    n: u64,
    delivered: Vec<AtomicU8>,
    failed_seen: Vec<AtomicU8>,
    final_receipts: AtomicU64,
    failed_receipts: AtomicU64,
    by_type: Mutex<std::collections::BTreeMap<String, u64>>,
    last_final_ms: Mutex<Option<f64>>,
    all_delivered: Notify,
}

impl Sink {
    fn report(&self, query: &str) {
        let (mut i, mut t) = (None, None);
        for pair in query.split('&') {
            match pair.split_once('=') {
                Some(("i", v)) => i = v.parse::<u64>().ok(),
                Some(("t", v)) => t = Some(v),
                _ => {}
            }
        }
        let t = t.unwrap_or("");
        *self
            .by_type
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(t.to_string())
            .or_default() += 1;
        let Some(i) = i.filter(|i| *i < self.n) else {
            return;
        };
        let Ok(at) = usize::try_from(i) else { return };
        if t == "1" && self.delivered[at].swap(1, Ordering::Relaxed) == 0 {
            *self.last_final_ms.lock().unwrap_or_else(|e| e.into_inner()) = Some(now_ms());
            if self.final_receipts.fetch_add(1, Ordering::Relaxed) + 1 == self.n {
                self.all_delivered.notify_one();
            }
        } else if (t == "2" || t == "16") && self.failed_seen[at].swap(1, Ordering::Relaxed) == 0 {
            self.failed_receipts.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// Kannel's half; the JSON line of bench/kannel/loadgen.mjs, and whether the run was complete.
pub async fn kannel(args: KannelLoad) -> Result<(serde_json::Value, bool), BenchError> {
    let n = args.load.n;
    let slots = usize::try_from(n).map_err(setup)?;
    let sink = Arc::new(Sink {
        n,
        delivered: (0..slots).map(|_| AtomicU8::new(0)).collect(),
        failed_seen: (0..slots).map(|_| AtomicU8::new(0)).collect(),
        final_receipts: AtomicU64::new(0),
        failed_receipts: AtomicU64::new(0),
        by_type: Mutex::default(),
        last_final_ms: Mutex::default(),
        all_delivered: Notify::new(),
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| setup(format!("the sink: {e}")))?;
    let sink_port = listener
        .local_addr()
        .map_err(|e| setup(format!("the sink: {e}")))?
        .port();
    let app = {
        let sink = Arc::clone(&sink);
        axum::Router::new().route(
            "/dlr",
            axum::routing::get(move |uri: hyper::Uri| {
                let sink = Arc::clone(&sink);
                async move {
                    sink.report(uri.query().unwrap_or(""));
                    ([(hyper::header::CONTENT_TYPE, "text/plain")], "ok")
                }
            }),
        )
    };
    let server = tokio::spawn(async move { axum::serve(listener, app).await });
    log(format!("sink on 127.0.0.1:{sink_port}"));

    let (_, uri) = split_url(&args.sendsms)?;
    let query_head = format!(
        "username={}&password={}&from={}",
        form_encode(&args.user),
        form_encode(&args.pass),
        form_encode(&args.from)
    );
    let request = Arc::new(KannelSend {
        path: uri.path().to_string(),
        query_head,
        dlr_url_head: format!("http://127.0.0.1:{sink_port}/dlr?i="),
        to_base: args.load.to_base,
        dlr_mask: args.dlr_mask,
    });

    let cpu_at_start = cpu_us();
    let (tally, first_request_ms) = run(&args.load, &args.sendsms, request).await?;
    log_tally(&tally, first_request_ms);
    let accepted = tally.accepted.load(Ordering::Relaxed);

    if sink.final_receipts.load(Ordering::Relaxed) < n {
        let wait = sink.all_delivered.notified();
        tokio::pin!(wait);
        let deadline = tokio::time::sleep(args.load.timeout);
        tokio::pin!(deadline);
        let mut progress = tokio::time::interval(Duration::from_secs(2));
        let mut last = u64::MAX;
        loop {
            if sink.final_receipts.load(Ordering::Relaxed) >= n {
                break;
            }
            tokio::select! {
                _ = &mut wait => break,
                _ = &mut deadline => break,
                _ = progress.tick() => {
                    let now = sink.final_receipts.load(Ordering::Relaxed);
                    if now != last {
                        log(format!("{now}/{n} final receipts"));
                    }
                    last = now;
                }
            }
        }
    }
    let final_receipts = sink.final_receipts.load(Ordering::Relaxed);
    let complete = accepted == n && final_receipts == n;
    if !complete {
        let missing: Vec<String> = sink
            .delivered
            .iter()
            .enumerate()
            .filter(|(_, d)| d.load(Ordering::Relaxed) == 0)
            .take(5)
            .map(|(i, _)| i.to_string())
            .collect();
        log(format!(
            "incomplete: {final_receipts}/{n} final receipts; first missing: {}",
            missing.join(", ")
        ));
    }
    let line = tally.line(
        n,
        first_request_ms,
        complete,
        cpu_at_start,
        json!({
            "final_receipts": final_receipts,
            "failed_receipts": sink.failed_receipts.load(Ordering::Relaxed),
            "dlr_by_type": *sink.by_type.lock().unwrap_or_else(|e| e.into_inner()),
            "last_final_receipt_ms": *sink.last_final_ms.lock().unwrap_or_else(|e| e.into_inner()),
        }),
    );
    server.abort();
    Ok((line, complete))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dlr_url_is_encoded_as_url_search_params_does() {
        assert_eq!(
            form_encode("http://127.0.0.1:9/dlr?i=3&t=%d"),
            "http%3A%2F%2F127.0.0.1%3A9%2Fdlr%3Fi%3D3%26t%3D%25d"
        );
        assert_eq!(form_encode("ferry bench 1"), "ferry+bench+1");
    }

    async fn serve(app: axum::Router) -> SocketAddr {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        tokio::spawn(async move { axum::serve(listener, app).await });
        addr
    }

    fn load(n: u64, c: usize) -> Load {
        Load {
            n,
            c,
            to_base: 85_261_000_000,
            timeout: Duration::from_secs(10),
            connect_burst: 2,
        }
    }

    /// A stand-in for Ferry and its counting SMSC: the send answers 201, except for one
    /// number (422); `/stats` counts what was sent as submitted and acknowledged.
    #[tokio::test]
    async fn the_ferry_load_sends_each_message_once_over_keep_alive_connections() {
        let seen = Arc::new(Mutex::new(Vec::<String>::new()));
        let app = {
            let seen = Arc::clone(&seen);
            let stats = Arc::clone(&seen);
            axum::Router::new()
                .route(
                    "/api/v1/messages",
                    axum::routing::post(
                        move |headers: hyper::HeaderMap, body: axum::body::Bytes| {
                            let seen = Arc::clone(&seen);
                            async move {
                                assert_eq!(
                                    headers.get("authorization").map(|v| v.as_bytes()),
                                    Some(&b"Bearer fk_test"[..])
                                );
                                let body: serde_json::Value =
                                    serde_json::from_slice(&body).expect("json");
                                let to = body["to"][0].as_str().unwrap_or("").to_string();
                                seen.lock().expect("seen").push(to.clone());
                                if to == "+85261000007" {
                                    (hyper::StatusCode::UNPROCESSABLE_ENTITY, "no")
                                } else {
                                    (hyper::StatusCode::CREATED, "{}")
                                }
                            }
                        },
                    ),
                )
                .route(
                    "/stats",
                    axum::routing::get(move || {
                        let n = stats.lock().expect("seen").len();
                        async move {
                            axum::Json(json!({
                                "submits": n - 1, "duplicate_submits": 0,
                                "receipt_acks": n - 1, "receipt_nacks": 0,
                                "last_submit_ms": 1.0, "last_receipt_ack_ms": 2.0,
                            }))
                        }
                    }),
                )
        };
        let addr = serve(app).await;
        let (line, complete) = ferry(FerryLoad {
            load: load(40, 4),
            url: format!("http://{addr}"),
            api_key: "fk_test".into(),
            smsc_control: format!("http://{addr}"),
            sender_id: "FerryBench".into(),
            route: "hk_business".into(),
        })
        .await
        .expect("load");
        // Every number once.
        let mut sent = seen.lock().expect("seen").clone();
        sent.sort();
        let expected: Vec<String> = (0..40)
            .map(|i| format!("+{}", 85_261_000_000u64 + i))
            .collect();
        assert_eq!(sent, expected);
        assert_eq!(line["accepted"], 39);
        assert_eq!(line["rejected"], 1);
        assert_eq!(line["errors"], 0);
        assert_eq!(
            line["new_connections"], 4,
            "one keep-alive connection per worker"
        );
        // One refused: the run is incomplete, and says so.
        assert!(!complete);
        assert_eq!(line["complete"], false);
    }

    /// A stand-in for Kannel: each sendsms calls the request's dlr-url back, as smsbox does,
    /// with the "accepted" report (8) and then the final one (1).
    #[tokio::test]
    async fn the_kannel_load_waits_for_every_final_report_through_its_sink() {
        let app = axum::Router::new().route(
            "/cgi-bin/sendsms",
            axum::routing::get(|uri: hyper::Uri| async move {
                let query = uri.query().unwrap_or("").to_string();
                let param = |name: &str| {
                    query
                        .split('&')
                        .find_map(|p| p.strip_prefix(&format!("{name}=")))
                        .map(str::to_string)
                };
                assert_eq!(param("dlr-mask").as_deref(), Some("31"));
                assert!(param("text").is_some_and(|t| t.starts_with("ferry+bench+")));
                let dlr = param("dlr-url").expect("dlr-url");
                let dlr = percent_decode(&dlr);
                tokio::spawn(async move {
                    for t in ["8", "1"] {
                        let (status, _) = get(&dlr.replace("%d", t)).await.expect("report");
                        assert!(status.is_success());
                    }
                });
                (hyper::StatusCode::ACCEPTED, "0: Accepted for delivery")
            }),
        );
        let addr = serve(app).await;
        let (line, complete) = kannel(KannelLoad {
            load: load(30, 3),
            sendsms: format!("http://{addr}/cgi-bin/sendsms"),
            user: "bench".into(),
            pass: "bench".into(),
            from: "12345".into(),
            dlr_mask: 31,
        })
        .await
        .expect("load");
        assert!(complete, "{line}");
        assert_eq!(line["accepted"], 30);
        assert_eq!(line["final_receipts"], 30);
        assert_eq!(line["dlr_by_type"]["8"], 30);
        assert_eq!(line["new_connections"], 3);
    }

    fn percent_decode(s: &str) -> String {
        let bytes = s.as_bytes();
        let mut out = Vec::new();
        let mut i = 0;
        while i < bytes.len() {
            if bytes[i] == b'%' && i + 2 < bytes.len() {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).expect("hex");
                out.push(u8::from_str_radix(hex, 16).expect("hex"));
                i += 3;
            } else {
                out.push(bytes[i]);
                i += 1;
            }
        }
        String::from_utf8(out).expect("utf-8")
    }

    #[test]
    fn the_sink_counts_each_final_report_once() {
        let sink = Sink {
            n: 2,
            delivered: (0..2).map(|_| AtomicU8::new(0)).collect(),
            failed_seen: (0..2).map(|_| AtomicU8::new(0)).collect(),
            final_receipts: AtomicU64::new(0),
            failed_receipts: AtomicU64::new(0),
            by_type: Mutex::default(),
            last_final_ms: Mutex::default(),
            all_delivered: Notify::new(),
        };
        for q in [
            "i=0&t=8", "i=0&t=1", "i=0&t=1", "i=1&t=16", "i=9&t=1", "t=1",
        ] {
            sink.report(q);
        }
        assert_eq!(sink.final_receipts.load(Ordering::Relaxed), 1);
        assert_eq!(sink.failed_receipts.load(Ordering::Relaxed), 1);
        let by_type = sink.by_type.lock().unwrap_or_else(|e| e.into_inner());
        assert_eq!(by_type.get("1"), Some(&4));
        assert_eq!(by_type.get("8"), Some(&1));
    }
}
