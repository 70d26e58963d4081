//! The dispatcher: claims due messages from the database, holds their charge, hands them to
//! the operator's SMSC over SMPP, and turns the outcome and the delivery receipts into statuses
//! and charges. Everything it knows is in the database, so a restart (or a crash) resumes where
//! it stopped; several dispatchers, in one process or many, share the work through claims.

use super::store::{self, BatchForSending, ClaimedMessage, Prepared, Receipt, SubmitResult};
use super::unrecorded::{Registration, Unrecorded};
use crate::db::{now_ms, Db};
use crate::two_way::store as two_way_store;
use crate::two_way::TwoWaySettings;
use smpp::{
    ClientConfig, ClientHandle, Envelope, Event, MsgIdMatching, OutboundMessage, SourceAddress,
    SubmitOutcome, ValidityPeriod,
};
use sms::{ErrorCode, Route};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{watch, Mutex};
use tokio::task::JoinSet;

/// One operator connection (§12).
#[derive(Debug, Clone, PartialEq)]
pub struct SmscConfig {
    pub name: String,
    pub address: String,
    pub system_id: String,
    pub password: String,
    pub routes: Vec<Route>,
    pub window: usize,
    /// submit_sm per second allowed by the operator; `None` for no limit.
    pub max_per_second: Option<f64>,
    pub msg_id_matching: MsgIdMatching,
    /// Lower is preferred: see [`pick_smsc`].
    pub priority: u32,
}

#[derive(Debug, Clone)]
pub struct DispatcherConfig {
    /// Unique per process; claims are made in its name.
    pub node_id: String,
    pub workers: usize,
    /// Messages claimed at a time by one worker.
    pub claim_batch: i64,
    pub lease: Duration,
    /// Added to the validity period before a message without a final receipt expires.
    pub expiry_grace: Duration,
    pub idle_poll: Duration,
    pub smscs: Vec<SmscConfig>,
    /// The first pause after an operator asks us to slow down (ESME_RTHROTTLED), doubling per
    /// repeat; after `max_deferrals` of them the message is tried again later (§12).
    pub throttle_backoff: Duration,
    pub max_deferrals: u32,
    /// How replies (MO messages) are handled.
    pub two_way: TwoWaySettings,
}

impl Default for DispatcherConfig {
    fn default() -> Self {
        DispatcherConfig {
            node_id: new_node_id(),
            workers: 2,
            claim_batch: 200,
            lease: Duration::from_secs(300),
            expiry_grace: Duration::from_secs(600),
            idle_poll: Duration::from_millis(200),
            smscs: Vec::new(),
            throttle_backoff: Duration::from_secs(1),
            max_deferrals: 10,
            two_way: TwoWaySettings::default(),
        }
    }
}

pub fn new_node_id() -> String {
    use rand::Rng;
    format!(
        "{}-{:08x}",
        std::process::id(),
        rand::thread_rng().gen::<u32>()
    )
}

struct Smsc {
    config: SmscConfig,
    handle: ClientHandle,
    /// One permit per window slot, held from submit until the outcome is committed. Accepted
    /// but unrecorded messages are what a crash resubmits, so this bounds the duplicates a
    /// crash can cause to the window size.
    unrecorded: Arc<tokio::sync::Semaphore>,
    counters: Arc<LinkCounters>,
}

/// What one SMSC connection has done since it was started (for `/metrics` and the console).
#[derive(Debug, Default)]
pub struct LinkCounters {
    /// Messages the SMSC accepted (`submit_sm_resp` OK for every part).
    pub submits_accepted: AtomicU64,
    /// Messages it refused, or that could not be handed over.
    pub submits_failed: AtomicU64,
    /// Delivery receipts stored.
    pub receipts: AtomicU64,
    /// Reply (MO) parts stored.
    pub replies: AtomicU64,
    /// Accepted messages per second over the last few seconds.
    throughput: std::sync::Mutex<Throughput>,
    /// The last connection failure, with when it happened (ms since the epoch).
    last_error: std::sync::Mutex<Option<(i64, String)>>,
}

/// Samples of `submits_accepted`, one a second, the newest last.
#[derive(Debug, Default)]
struct Throughput {
    samples: std::collections::VecDeque<(std::time::Instant, u64)>,
}

/// Seconds the throughput is averaged over.
const THROUGHPUT_SECONDS: usize = 5;

impl LinkCounters {
    fn sample(&self) {
        let accepted = self.submits_accepted.load(Ordering::Relaxed);
        let mut t = self.throughput.lock().unwrap_or_else(|p| p.into_inner());
        t.samples.push_back((std::time::Instant::now(), accepted));
        while t.samples.len() > THROUGHPUT_SECONDS + 1 {
            t.samples.pop_front();
        }
    }

    /// Accepted messages per second over the last few seconds (0 until two samples exist).
    pub fn per_second(&self) -> f64 {
        let t = self.throughput.lock().unwrap_or_else(|p| p.into_inner());
        match (t.samples.front(), t.samples.back()) {
            (Some((t0, n0)), Some((t1, n1))) if t1 > t0 => {
                n1.saturating_sub(*n0) as f64 / t1.duration_since(*t0).as_secs_f64()
            }
            _ => 0.0,
        }
    }

    fn failed(&self, reason: &str) {
        *self.last_error.lock().unwrap_or_else(|p| p.into_inner()) =
            Some((now_ms(), reason.to_string()));
    }

    /// The last connection failure: when (ms since the epoch) and why.
    pub fn last_error(&self) -> Option<(i64, String)> {
        self.last_error
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }
}

/// A view of one SMSC connection now.
#[derive(Debug, Clone)]
pub struct LinkState {
    pub name: String,
    pub address: String,
    pub routes: Vec<Route>,
    pub priority: u32,
    pub max_per_second: Option<f64>,
    pub bound: bool,
    pub in_flight: usize,
    pub window: usize,
    pub counters: Arc<LinkCounters>,
}

/// How every SMSC client of this dispatcher is set up, beside its own [`SmscConfig`].
#[derive(Clone)]
struct ClientSettings {
    db: Db,
    throttle_backoff: Duration,
    max_deferrals: u32,
    two_way: TwoWaySettings,
    /// Accepted parts whose outcome is still to be committed, which receipts wait for.
    unrecorded: Arc<Unrecorded>,
}

/// The dispatcher's SMSC connections, which staff may change while it runs: cheap to clone
/// into an HTTP handler (the console, `/metrics`) or the task that watches the configuration.
#[derive(Clone)]
pub struct SmscLinks {
    inner: Arc<LinksInner>,
}

struct LinksInner {
    current: std::sync::RwLock<Arc<Vec<Arc<Smsc>>>>,
    /// Every connection's receipt loop, and the retiring of replaced ones.
    tasks: std::sync::Mutex<JoinSet<()>>,
    settings: ClientSettings,
    reload: tokio::sync::Notify,
}

impl std::fmt::Debug for SmscLinks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.snapshot().iter().map(|s| &s.config.name))
            .finish()
    }
}

impl SmscLinks {
    fn new(settings: ClientSettings, configs: &[SmscConfig]) -> SmscLinks {
        let links = SmscLinks {
            inner: Arc::new(LinksInner {
                current: std::sync::RwLock::default(),
                tasks: std::sync::Mutex::new(JoinSet::new()),
                settings,
                reload: tokio::sync::Notify::new(),
            }),
        };
        links.reconfigure(configs.to_vec());
        links
    }

    fn snapshot(&self) -> Arc<Vec<Arc<Smsc>>> {
        self.inner
            .current
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    fn is_current(&self, smsc: &Arc<Smsc>) -> bool {
        self.snapshot().iter().any(|s| Arc::ptr_eq(s, smsc))
    }

    fn spawn(&self, task: impl std::future::Future<Output = ()> + Send + 'static) {
        self.inner
            .tasks
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .spawn(task);
    }

    /// Every connection as it is now.
    pub fn states(&self) -> Vec<LinkState> {
        self.snapshot()
            .iter()
            .map(|s| LinkState {
                name: s.config.name.clone(),
                address: s.config.address.clone(),
                routes: s.config.routes.clone(),
                priority: s.config.priority,
                max_per_second: s.config.max_per_second,
                bound: s.handle.is_bound(),
                in_flight: s.handle.in_flight(),
                window: s.config.window,
                counters: s.counters.clone(),
            })
            .collect()
    }

    /// The configurations running now.
    pub fn configs(&self) -> Vec<SmscConfig> {
        self.snapshot().iter().map(|s| s.config.clone()).collect()
    }

    /// Runs exactly `configs` from now on: connections whose configuration is unchanged keep
    /// their session; new or changed ones start a new client; removed or replaced ones take no
    /// new message, finish recording what they have in flight, then unbind.
    pub fn reconfigure(&self, configs: Vec<SmscConfig>) {
        let old = self.snapshot();
        let next: Vec<Arc<Smsc>> = configs
            .into_iter()
            .map(|c| match old.iter().find(|s| s.config == c) {
                Some(same) => same.clone(),
                None => self.start_client(c),
            })
            .collect();
        let retired: Vec<Arc<Smsc>> = old
            .iter()
            .filter(|s| !next.iter().any(|n| Arc::ptr_eq(n, s)))
            .cloned()
            .collect();
        *self
            .inner
            .current
            .write()
            .unwrap_or_else(|p| p.into_inner()) = Arc::new(next);
        for smsc in retired {
            tracing::info!(smsc = %smsc.config.name, "SMSC connection retired");
            self.spawn(retire(smsc));
        }
    }

    fn start_client(&self, c: SmscConfig) -> Arc<Smsc> {
        let settings = &self.inner.settings;
        let mut client_config = ClientConfig::new(c.address.clone(), &c.system_id, &c.password);
        client_config.window = c.window.max(1);
        client_config.max_per_second = c.max_per_second;
        client_config.response_timeout = Duration::from_secs(20);
        client_config.wait_for_bind = Duration::from_secs(5);
        client_config.event_buffer = 10_000;
        client_config.throttle_backoff = settings.throttle_backoff;
        client_config.max_deferrals = settings.max_deferrals;
        let (handle, events) = smpp::Client::start(client_config);
        let counters = Arc::new(LinkCounters::default());
        self.spawn(receipts_loop(
            settings.db.clone(),
            c.name.clone(),
            c.msg_id_matching,
            settings.two_way.clone(),
            counters.clone(),
            settings.unrecorded.clone(),
            events,
        ));
        tracing::info!(smsc = %c.name, address = %c.address, "SMSC connection started");
        Arc::new(Smsc {
            unrecorded: Arc::new(tokio::sync::Semaphore::new(c.window.max(1))),
            config: c,
            handle,
            counters,
        })
    }

    /// Asks whoever watches the configuration to read it again now.
    pub fn request_reload(&self) {
        self.inner.reload.notify_one();
    }

    /// Resolves when [`SmscLinks::request_reload`] was called.
    pub async fn reload_requested(&self) {
        self.inner.reload.notified().await;
    }

    /// Closes every session, then waits for the receipt loops to store what arrived.
    async fn shutdown(&self) {
        let all = std::mem::take(
            &mut *self
                .inner
                .current
                .write()
                .unwrap_or_else(|p| p.into_inner()),
        );
        for s in all.iter() {
            s.handle.shutdown().await;
        }
        let mut tasks =
            std::mem::take(&mut *self.inner.tasks.lock().unwrap_or_else(|p| p.into_inner()));
        while tasks.join_next().await.is_some() {}
    }
}

/// Unbinds a connection that is no longer configured, once every submit on it has its outcome
/// recorded (so nothing accepted is left to be sent again), or after a minute at most.
async fn retire(smsc: Arc<Smsc>) {
    let window = u32::try_from(smsc.config.window.max(1)).unwrap_or(u32::MAX);
    let drained = tokio::time::timeout(
        Duration::from_secs(60),
        smsc.unrecorded.acquire_many(window),
    )
    .await;
    // Submits still waiting for a slot now find it closed and go to another connection.
    smsc.unrecorded.close();
    drop(drained);
    smsc.handle.shutdown().await;
    tracing::info!(smsc = %smsc.config.name, "retired SMSC connection unbound");
}

/// A running dispatcher; stop it with [`DispatcherHandle::shutdown`].
pub struct DispatcherHandle {
    stop: watch::Sender<bool>,
    tasks: JoinSet<()>,
    links: SmscLinks,
}

impl DispatcherHandle {
    pub fn links(&self) -> SmscLinks {
        self.links.clone()
    }

    /// Stops claiming, lets submits in flight finish and be recorded, closes the SMPP sessions,
    /// and only then stops storing receipts, so none that arrived is dropped unstored.
    pub async fn shutdown(mut self) {
        let _ = self.stop.send(true);
        while self.tasks.join_next().await.is_some() {}
        self.links.shutdown().await;
    }
}

/// Starts the SMSC clients, the workers, the receipt handlers, the expiry sweeper and the
/// heartbeat.
pub fn start(db: Db, config: DispatcherConfig) -> DispatcherHandle {
    let (stop, stop_rx) = watch::channel(false);
    let mut tasks = JoinSet::new();
    let links = SmscLinks::new(
        ClientSettings {
            db: db.clone(),
            throttle_backoff: config.throttle_backoff,
            max_deferrals: config.max_deferrals,
            two_way: config.two_way.clone(),
            unrecorded: Arc::default(),
        },
        &config.smscs,
    );
    let batches: Arc<Mutex<HashMap<i64, Option<Arc<BatchForSending>>>>> = Arc::default();
    for _ in 0..config.workers.max(1) {
        tasks.spawn(worker(
            db.clone(),
            config.clone(),
            links.clone(),
            batches.clone(),
            stop_rx.clone(),
        ));
    }
    tasks.spawn(heartbeat(
        db.clone(),
        config.node_id.clone(),
        stop_rx.clone(),
    ));
    tasks.spawn(sample_throughput(links.clone(), stop_rx.clone()));
    tasks.spawn(housekeeping(db, config.two_way.clone(), stop_rx));
    DispatcherHandle { stop, tasks, links }
}

async fn sample_throughput(links: SmscLinks, mut stop: watch::Receiver<bool>) {
    loop {
        for s in links.snapshot().iter() {
            s.counters.sample();
        }
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_secs(1)) => {}
            _ = stop.changed() => return,
        }
    }
}

/// Every 2 s, on its own task so that slow housekeeping never makes this process look dead
/// to the others.
async fn heartbeat(db: Db, node_id: String, mut stop: watch::Receiver<bool>) {
    loop {
        if let Err(e) = store::heartbeat(&db, &node_id).await {
            tracing::warn!(error = %e, "dispatcher heartbeat failed");
        }
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_secs(2)) => {}
            _ = stop.changed() => return,
        }
    }
}

/// An early-receipt pass that applied this many is followed by another at once.
const EARLY_RECEIPTS_BUSY_PASS: usize = 200;

async fn housekeeping(db: Db, two_way: TwoWaySettings, mut stop: watch::Receiver<bool>) {
    let mut tick: u64 = 0;
    loop {
        // At start, then once a minute (300 ticks of 200 ms).
        if tick.is_multiple_of(300) {
            match store::add_current_forms_to_parked_keys(&db).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(
                    keys = n,
                    "keys of receipts parked by an earlier version brought up to date"
                ),
                Err(e) => {
                    tracing::warn!(error = %e, "bringing the keys of parked receipts up to date failed")
                }
            }
        }
        // Early receipts, in passes of at most 2,000 keys, again at once while passes come
        // back busy: a burst of receipts that overtook their submit_sm_resp (a wide window, a
        // fast SMSC) is applied as fast as it arrives, not one pass per 200 ms.
        loop {
            match store::apply_unmatched_receipts(&db).await {
                Ok(n) if n >= EARLY_RECEIPTS_BUSY_PASS => {}
                Ok(_) => break,
                Err(e) => {
                    tracing::warn!(error = %e, "applying early receipts failed");
                    break;
                }
            }
        }
        // Expiry every 2 s; early receipts every 200 ms.
        if tick.is_multiple_of(10) {
            match store::expire_overdue(&db).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(expired = n, "messages expired without a final receipt"),
                Err(e) => tracing::warn!(error = %e, "expiry sweep failed"),
            }
            match two_way_store::store_timed_out_parts(&db, &two_way).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(replies = n, "replies stored without their missing parts"),
                Err(e) => tracing::warn!(error = %e, "storing timed-out reply parts failed"),
            }
        }
        tick += 1;
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_millis(200)) => {}
            _ = stop.changed() => return,
        }
    }
}

async fn worker(
    db: Db,
    config: DispatcherConfig,
    links: SmscLinks,
    batches: Arc<Mutex<HashMap<i64, Option<Arc<BatchForSending>>>>>,
    mut stop: watch::Receiver<bool>,
) {
    // Make sure our heartbeat exists before our first claim.
    let _ = store::heartbeat(&db, &config.node_id).await;
    let lease_ms = i64::try_from(config.lease.as_millis()).unwrap_or(300_000);
    loop {
        if *stop.borrow() {
            return;
        }
        // Listening before the claim: a batch committed after an empty claim still wakes us.
        let due = db.due().notified();
        tokio::pin!(due);
        due.as_mut().enable();
        let (claimed, decisions) = match store::claim_and_prepare(
            &db,
            &config.node_id,
            config.claim_batch,
            lease_ms,
        )
        .await
        {
            Ok(c) => c,
            Err(e) => {
                tracing::warn!(error = %e, "claiming messages failed");
                (Vec::new(), Vec::new())
            }
        };
        if claimed.is_empty() {
            tokio::select! {
                _ = tokio::time::sleep(config.idle_poll) => {}
                _ = &mut due => {}
                _ = stop.changed() => return,
            }
            continue;
        }
        let ids: Vec<i64> = claimed.iter().map(|m| m.id).collect();
        if let Err(e) = send_chunk(&db, &config, &links, &batches, claimed, decisions).await {
            tracing::warn!(error = %e, "sending a chunk failed; its messages will be retried");
            // Give them back at once rather than when the lease runs out; a message whose
            // submit went through is then resubmitted (and still charged once).
            if let Err(e) = store::unclaim(&db, &ids).await {
                tracing::warn!(error = %e, "could not release claims");
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }
}

/// Batches whose facts a dispatcher keeps at most; past it the cache starts over. An API
/// caller's every message is a batch of its own, so an unbounded cache would grow with every
/// message sent for as long as the process runs.
const MAX_CACHED_BATCHES: usize = 10_000;

/// The facts of every batch of `claimed`, from the cache or, for those not in it, one query.
async fn batch_infos(
    db: &Db,
    cache: &Mutex<HashMap<i64, Option<Arc<BatchForSending>>>>,
    claimed: &[ClaimedMessage],
) -> Result<HashMap<i64, Option<Arc<BatchForSending>>>, sqlx::Error> {
    let mut infos = HashMap::new();
    let mut missing = Vec::new();
    {
        let cached = cache.lock().await;
        for m in claimed {
            if infos.contains_key(&m.batch_id) {
                continue;
            }
            match cached.get(&m.batch_id) {
                Some(b) => {
                    infos.insert(m.batch_id, b.clone());
                }
                None => {
                    infos.insert(m.batch_id, None);
                    missing.push(m.batch_id);
                }
            }
        }
    }
    if missing.is_empty() {
        return Ok(infos);
    }
    let mut found = store::batches_for_sending(db, &missing).await?;
    let mut cached = cache.lock().await;
    if cached.len() + missing.len() > MAX_CACHED_BATCHES {
        cached.clear();
    }
    for id in missing {
        // A batch not found stays None (not sent), as one whose route is unknown.
        let b = found.remove(&id).flatten().map(Arc::new);
        cached.insert(id, b.clone());
        infos.insert(id, b);
    }
    Ok(infos)
}

async fn send_chunk(
    db: &Db,
    config: &DispatcherConfig,
    links: &SmscLinks,
    cache: &Mutex<HashMap<i64, Option<Arc<BatchForSending>>>>,
    claimed: Vec<ClaimedMessage>,
    decisions: Vec<Prepared>,
) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let infos = batch_infos(db, cache, &claimed).await?;
    let smscs = links.snapshot();
    let unrecorded = &links.inner.settings.unrecorded;
    let mut submits = JoinSet::new();
    let mut results = Vec::with_capacity(claimed.len());
    let mut permits = Vec::new();
    for (m, decision) in claimed.into_iter().zip(decisions) {
        if decision != Prepared::Send {
            continue;
        }
        let Some(Some(batch)) = infos.get(&m.batch_id).cloned() else {
            results.push((m, SubmitResult::refused(ErrorCode::NoRoute)));
            continue;
        };
        let route = m.route_in(&batch);
        // From here on the message carries its effective route (older messages have none).
        let mut m = m;
        m.route = Some(route);
        let Some(smsc) = pick_smsc(&smscs, route, m.id) else {
            tracing::warn!(%route, "no SMSC connection serves this route");
            results.push((m, SubmitResult::refused(ErrorCode::NoRoute)));
            continue;
        };
        let grace = config.expiry_grace;
        let links = links.clone();
        let unrecorded = unrecorded.clone();
        submits.spawn(async move {
            let mut smsc = smsc;
            let mut permit = smsc.unrecorded.clone().acquire_owned().await.ok();
            // The link may have gone down, or staff may have replaced it, while this message
            // waited for a window slot: then the route's best link now takes it (failover
            // within seconds, instead of every waiting message first timing out on it).
            if permit.is_none() || !smsc.handle.is_bound() || !links.is_current(&smsc) {
                if let Some(other) = pick_smsc(&links.snapshot(), route, m.id)
                    .filter(|other| !Arc::ptr_eq(other, &smsc))
                {
                    drop(permit);
                    smsc = other;
                    permit = smsc.unrecorded.clone().acquire_owned().await.ok();
                }
            }
            let mut registrations = Vec::new();
            let result =
                submit_message(&smsc, &batch, &m, grace, &unrecorded, &mut registrations).await;
            let counter = match result {
                SubmitResult::Accepted { .. } => &smsc.counters.submits_accepted,
                _ => &smsc.counters.submits_failed,
            };
            counter.fetch_add(1, Ordering::Relaxed);
            (m, result, (permit, registrations))
        });
    }
    // Record outcomes as they come: in groups while results keep arriving, and at once when
    // none is ready and no group is being recorded (so the window permits they hold go back
    // to waiting submits). While a group is being recorded the next one grows, and is
    // recorded beside it once it is large enough: a group need not wait for the previous
    // one's commit (several round trips on PostgreSQL), and groups stay large.
    let mut recording: JoinSet<Result<(), crate::ledger::store::LedgerError>> = JoinSet::new();
    let mut failed: Option<ChunkError> = None;
    loop {
        while results.len() < MAX_OUTCOME_GROUP {
            match submits.try_join_next() {
                Some(done) => take_result(done, &mut results, &mut permits),
                None => break,
            }
        }
        let record_now = results.len() >= MAX_OUTCOME_GROUP
            || (!results.is_empty() && recording.is_empty())
            || (results.len() >= MIN_GROUP_BESIDE_ANOTHER
                && recording.len() < GROUPS_RECORDED_AT_ONCE);
        if record_now {
            while recording.len() >= GROUPS_RECORDED_AT_ONCE {
                note_failure(&mut failed, recording.join_next().await);
            }
            // The permits and the parts' registrations (which receipts wait for) go once the
            // outcomes are committed, or their recording failed.
            let (group, held) = (std::mem::take(&mut results), std::mem::take(&mut permits));
            let db = db.clone();
            recording.spawn(async move {
                let recorded = store::record_many(&db, group).await;
                drop(held);
                recorded
            });
            continue;
        }
        if submits.is_empty() && recording.is_empty() {
            break;
        }
        tokio::select! {
            Some(done) = submits.join_next(), if !submits.is_empty() => {
                take_result(done, &mut results, &mut permits);
            }
            Some(finished) = recording.join_next(), if !recording.is_empty() => {
                note_failure(&mut failed, Some(finished));
            }
            else => {}
        }
    }
    // Every group's recording has finished (above) before the caller may give the chunk's
    // messages back: one given back while its acceptance could still commit would be sent
    // again.
    match failed {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

/// Outcomes recorded in one write, at most.
const MAX_OUTCOME_GROUP: usize = 64;
/// The least outcomes a group needs to be recorded while another group of the same worker is
/// still being recorded; smaller ones wait for more results or for that commit.
const MIN_GROUP_BESIDE_ANOTHER: usize = 32;
/// Groups of one worker's outcomes being recorded at the same time, at most.
const GROUPS_RECORDED_AT_ONCE: usize = 3;

type ChunkError = Box<dyn std::error::Error + Send + Sync>;

/// A finished submit task's message and result into the group being gathered, its permit
/// (and registrations) with them.
fn take_result<P>(
    done: Result<(ClaimedMessage, SubmitResult, P), tokio::task::JoinError>,
    results: &mut Vec<(ClaimedMessage, SubmitResult)>,
    permits: &mut Vec<P>,
) {
    match done {
        Ok((m, result, permit)) => {
            results.push((m, result));
            permits.push(permit);
        }
        Err(e) => tracing::error!(error = %e, "a submit task failed"),
    }
}

/// Keeps the first failure of a group's recording (a recording task that panicked is one);
/// later ones are logged.
fn note_failure(
    failed: &mut Option<ChunkError>,
    finished: Option<Result<Result<(), crate::ledger::store::LedgerError>, tokio::task::JoinError>>,
) {
    let e: ChunkError = match finished {
        None | Some(Ok(Ok(()))) => return,
        Some(Ok(Err(e))) => Box::new(e),
        Some(Err(e)) => Box::new(e),
    };
    match failed {
        Some(_) => tracing::warn!(error = %e, "recording submit outcomes failed"),
        None => *failed = Some(e),
    }
}

/// The connection for `route` (failover, §12): of the connections serving it, the bound ones
/// with the best (lowest) priority, messages spread across them by id. When a preferred one
/// goes down its messages go to the next priority at their next attempt, and come back once it
/// is bound again. With none bound, the preferred ones are used anyway: the submit waits a
/// little for a bind, then the message is retried later.
fn pick_smsc(smscs: &[Arc<Smsc>], route: Route, message_id: i64) -> Option<Arc<Smsc>> {
    let serving: Vec<&Arc<Smsc>> = smscs
        .iter()
        .filter(|s| s.config.routes.contains(&route))
        .collect();
    let bound: Vec<&Arc<Smsc>> = serving
        .iter()
        .copied()
        .filter(|s| s.handle.is_bound())
        .collect();
    let candidates = if bound.is_empty() { serving } else { bound };
    let best = candidates.iter().map(|s| s.config.priority).min()?;
    let pool: Vec<&Arc<Smsc>> = candidates
        .into_iter()
        .filter(|s| s.config.priority == best)
        .collect();
    let i = usize::try_from(message_id.rem_euclid(pool.len() as i64)).unwrap_or(0);
    Some(pool[i].clone())
}

/// The sender as the handset will show it (§2): a registered ID keeps its `#`, a mobile number
/// with its country code goes as an international number (recipients can reply to it), any
/// other ID, digits-only ones included, as alphanumeric. Economic and China show none.
fn source_address(sender_id: Option<&str>, route: Route) -> SourceAddress {
    let Some(id) = sender_id.filter(|_| route.allows_sender_id()) else {
        return SourceAddress::None;
    };
    match sms::SenderId::parse(id) {
        Ok(parsed) if parsed.kind() == sms::sender_id::SenderIdKind::Numeric => {
            SourceAddress::International(parsed.as_str().to_string())
        }
        Ok(parsed) => SourceAddress::Alphanumeric(parsed.as_str().to_string()),
        // Stored sender IDs were checked when staff created them; an odd one is sent as is.
        Err(_) => SourceAddress::Alphanumeric(id.to_string()),
    }
}

fn envelope(batch: &BatchForSending, route: Route, destination: &str) -> Envelope {
    Envelope {
        source: source_address(batch.sender_id.as_deref(), route),
        destination: destination.to_string(),
        validity: route.uses_validity_period().then(|| {
            ValidityPeriod::Relative(Duration::from_secs(
                batch.validity_minutes.max(1) as u64 * 60,
            ))
        }),
        registered_delivery: route.has_delivery_reports(),
    }
}

/// Submits the parts of one message the operator does not have yet, and says how the attempt
/// ended. Parts accepted in an earlier attempt are skipped (a handset never gets a part twice
/// from us); every part keeps the message's concatenation reference, so the handset joins
/// parts sent in different attempts.
async fn submit_message(
    smsc: &Smsc,
    batch: &BatchForSending,
    m: &ClaimedMessage,
    grace: Duration,
    unrecorded: &Arc<Unrecorded>,
    registrations: &mut Vec<Registration>,
) -> SubmitResult {
    let route = m.route_in(batch);
    let outbound = OutboundMessage {
        envelope: envelope(batch, route, &m.destination),
        text: batch.text_for(route).to_string(),
        table: route.segment_table(),
        reference: (m.id & 0xFF) as u8,
    };
    let parts = match outbound.parts() {
        Ok(p) => p,
        Err(e) => {
            tracing::error!(message_id = m.id, error = %e, "cannot build the message's parts");
            return SubmitResult::refused(ErrorCode::MessageTooLong);
        }
    };
    let name = smsc.config.name.clone();
    let mut accepted = Vec::with_capacity(parts.len());
    // Not finished: try the rest later, backing off, within the validity period (§12).
    let later = |accepted: Vec<store::AcceptedPart>| {
        let retry_at = now_ms() + store::retry_delay_ms(m.attempts);
        if retry_at > batch.deadline(route) {
            SubmitResult::Expired {
                smsc: name.clone(),
                accepted,
            }
        } else {
            SubmitResult::Retry {
                retry_at,
                smsc: name.clone(),
                accepted,
            }
        }
    };
    for (i, part) in parts.iter().enumerate() {
        let number = i as i64 + 1;
        if m.accepted_parts.contains(&number) {
            continue;
        }
        match smsc.handle.submit(part).await {
            Ok(SubmitOutcome::Accepted { message_id }) => {
                let keys = smsc.config.msg_id_matching.submit_keys(&message_id);
                registrations.push(unrecorded.accepted(&name, &keys));
                accepted.push((number, message_id, keys));
            }
            Ok(SubmitOutcome::Rejected { command_status }) => {
                tracing::info!(message_id = m.id, part = number, status = %smpp::client::status_name(command_status), "operator refused the message");
                return SubmitResult::Rejected {
                    error: smpp::client::rejection_error(command_status),
                    smsc: name,
                    accepted,
                };
            }
            // Throttling is not a refusal: the operator asks us to slow down.
            Ok(SubmitOutcome::Deferred { command_status }) => {
                tracing::info!(message_id = m.id, part = number, status = %smpp::client::status_name(command_status), attempts = m.attempts, "operator throttled the message; will retry");
                return later(accepted);
            }
            Ok(other) => {
                tracing::info!(message_id = m.id, part = number, outcome = ?other, "submit outcome unknown; will resubmit");
                return later(accepted);
            }
            Err(e) => {
                tracing::debug!(message_id = m.id, error = %e, "not submitted; will retry");
                return later(accepted);
            }
        }
    }
    let validity_ms = if route.uses_validity_period() {
        batch.validity_minutes * 60_000
    } else {
        // China: no validity on the wire; operators keep trying for about a day.
        24 * 60 * 60_000
    };
    SubmitResult::Accepted {
        smsc: name,
        parts: accepted,
        final_on_acceptance: !route.has_delivery_reports(),
        expires_at: now_ms() + validity_ms + i64::try_from(grace.as_millis()).unwrap_or(0),
    }
}

/// Turns receipts into statuses and stores replies (MO messages), a few hundred per
/// transaction, and acknowledges them to the SMSC only once stored (an unacknowledged one is
/// redelivered after a crash). Runs until the SMSC client shuts down (its event channel closes).
/// Queued events beyond which receipts are stored at once, without waiting for their parts'
/// acceptances ([`Unrecorded::wait_for`]).
const BACKLOG: usize = 1_000;

async fn receipts_loop(
    db: Db,
    smsc: String,
    matching: MsgIdMatching,
    two_way: TwoWaySettings,
    counters: Arc<LinkCounters>,
    unrecorded: Arc<Unrecorded>,
    mut events: tokio::sync::mpsc::Receiver<Event>,
) {
    let mut inbound = Inbound::default();
    while let Some(event) = events.recv().await {
        collect(&smsc, matching, &counters, event, &mut inbound);
        while inbound.receipts.len() + inbound.replies.len() < 500 {
            match events.try_recv() {
                Ok(event) => collect(&smsc, matching, &counters, event, &mut inbound),
                Err(_) => break,
            }
        }
        if !inbound.receipts.is_empty() {
            let (receipts, acks): (Vec<Receipt>, Vec<_>) = inbound.receipts.drain(..).unzip();
            let count = receipts.len() as u64;
            // A receipt that overtook its part's recording finds the part once it is committed,
            // rather than being parked and matched again later. Not with a backlog of events:
            // the SMPP session waits for room in this channel before it reads on, and a part's
            // acceptance may need a response it has not read yet.
            if events.len() < BACKLOG {
                unrecorded.wait_for(&receipts).await;
            }
            let stored = store::apply_receipts(&db, receipts).await;
            if let Err(e) = &stored {
                tracing::warn!(error = %e, "could not store receipts; the SMSC will resend them");
            }
            if stored.is_ok() {
                counters.receipts.fetch_add(count, Ordering::Relaxed);
            }
            acknowledge(acks.into_iter(), stored.is_ok());
        }
        if !inbound.replies.is_empty() {
            let (parts, acks): (Vec<two_way_store::IncomingPart>, Vec<_>) =
                inbound.replies.drain(..).unzip();
            let count = parts.len() as u64;
            let stored = two_way_store::receive(&db, &two_way, parts).await;
            if let Err(e) = &stored {
                tracing::warn!(error = %e, "could not store replies; the SMSC will resend them");
            }
            if stored.is_ok() {
                counters.replies.fetch_add(count, Ordering::Relaxed);
            }
            acknowledge(acks.into_iter(), stored.is_ok());
        }
    }
}

/// What arrived since the last store: receipts and reply parts, each with its acknowledgement.
#[derive(Default)]
struct Inbound {
    receipts: Vec<(Receipt, smpp::InboundAck)>,
    replies: Vec<(two_way_store::IncomingPart, smpp::InboundAck)>,
}

fn acknowledge(acks: impl Iterator<Item = smpp::InboundAck>, stored: bool) {
    for ack in acks {
        if stored {
            ack.ack();
        } else {
            ack.retry_later();
        }
    }
}

fn collect(
    smsc: &str,
    matching: MsgIdMatching,
    counters: &LinkCounters,
    event: Event,
    inbound: &mut Inbound,
) {
    match event {
        Event::Receipt { receipt, ack } => {
            let mut keys = Vec::new();
            for id in receipt.ids() {
                for k in matching.receipt_keys(id) {
                    if !keys.contains(&k) {
                        keys.push(k);
                    }
                }
            }
            inbound.receipts.push((
                Receipt {
                    smsc: smsc.to_string(),
                    keys,
                    status: receipt.status,
                    error: receipt.error,
                },
                ack,
            ));
        }
        Event::Mo { message, ack } => {
            let part = two_way_store::IncomingPart::from_mo(smsc, &message);
            inbound.replies.push((part, ack));
        }
        Event::Bound { generation } => tracing::info!(smsc, generation, "SMSC bound"),
        Event::ConnectFailed { reason, .. } => {
            tracing::warn!(smsc, %reason, "SMSC connect failed");
            counters.failed(&format!("connect failed: {reason}"));
        }
        Event::Disconnected { reason, in_flight } => {
            tracing::warn!(smsc, %reason, in_flight, "SMSC disconnected");
            counters.failed(&format!("disconnected: {reason}"));
        }
    }
}
