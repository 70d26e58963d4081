//! Observability for operators (PRODUCT.md §12, issue 17): `/healthz` (the process answers),
//! `/readyz` (and its database does), and `/metrics` in the Prometheus text format: messages
//! by status and route, the queue due now, callbacks waiting, each SMSC link's state, window
//! use and counters, and HTTP latency by door. `/metrics` answers only the addresses in
//! `[metrics] allow` (loopback by default): it tells how much a business sends.
//!
//! The figures of this process (HTTP latencies, SMSC links) live in one process-wide registry,
//! like every Prometheus client's; the database figures are read at most every
//! [`DB_REFRESH`], so frequent scrapes cost one query set, not one per scrape.

use engine::db::Db;
use engine::delivery::dispatcher::SmscLinks;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

/// Upper bounds of the HTTP latency buckets, in seconds.
const BUCKETS: [f64; 11] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];
/// How long database figures are reused between scrapes.
pub const DB_REFRESH: Duration = Duration::from_secs(5);

/// Which door a request came through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Door {
    Portal,
    Api,
    Soap,
}

impl Door {
    pub fn of(path: &str) -> Door {
        if path.starts_with("/soap") {
            Door::Soap
        } else if path.starts_with("/api/v1") {
            Door::Api
        } else {
            Door::Portal
        }
    }

    fn label(self) -> &'static str {
        match self {
            Door::Portal => "portal",
            Door::Api => "api",
            Door::Soap => "soap",
        }
    }

    const ALL: [Door; 3] = [Door::Portal, Door::Api, Door::Soap];
}

/// A latency histogram (cumulative buckets, as Prometheus expects them, are summed on output).
#[derive(Debug, Default)]
struct Histogram {
    buckets: [AtomicU64; BUCKETS.len()],
    count: AtomicU64,
    /// Microseconds, so the sum stays an integer.
    sum_micros: AtomicU64,
}

impl Histogram {
    fn observe(&self, elapsed: Duration) {
        let seconds = elapsed.as_secs_f64();
        if let Some(i) = BUCKETS.iter().position(|b| seconds <= *b) {
            self.buckets[i].fetch_add(1, Ordering::Relaxed);
        }
        self.count.fetch_add(1, Ordering::Relaxed);
        let micros = u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX);
        self.sum_micros.fetch_add(micros, Ordering::Relaxed);
    }

    fn write(&self, out: &mut String, name: &str, labels: &str) {
        let mut cumulative = 0;
        for (bound, bucket) in BUCKETS.iter().zip(&self.buckets) {
            cumulative += bucket.load(Ordering::Relaxed);
            let _ = writeln!(out, "{name}_bucket{{{labels},le=\"{bound}\"}} {cumulative}");
        }
        let count = self.count.load(Ordering::Relaxed);
        let _ = writeln!(out, "{name}_bucket{{{labels},le=\"+Inf\"}} {count}");
        let sum = self.sum_micros.load(Ordering::Relaxed) as f64 / 1e6;
        let _ = writeln!(out, "{name}_sum{{{labels}}} {sum}");
        let _ = writeln!(out, "{name}_count{{{labels}}} {count}");
    }
}

/// The process's registry.
#[derive(Debug, Default)]
pub struct Metrics {
    http: [Histogram; 3],
    http_errors: [AtomicU64; 3],
    dispatcher: OnceLock<SmscLinks>,
    db_cache: Mutex<Option<(Instant, String)>>,
}

/// The registry of this process.
pub fn metrics() -> &'static Metrics {
    static METRICS: OnceLock<Metrics> = OnceLock::new();
    METRICS.get_or_init(Metrics::default)
}

impl Metrics {
    /// One answered request: how long until its response (headers) was ready.
    pub fn record_http(&self, door: Door, elapsed: Duration, status: u16) {
        let i = Door::ALL.iter().position(|d| *d == door).unwrap_or(0);
        self.http[i].observe(elapsed);
        if status >= 500 {
            self.http_errors[i].fetch_add(1, Ordering::Relaxed);
        }
    }

    /// The dispatcher of this process, once it has started (the first one wins).
    pub fn set_dispatcher(&self, probe: SmscLinks) {
        let _ = self.dispatcher.set(probe);
    }

    /// The whole exposition.
    pub async fn render(&self, db: &Db) -> Result<String, sqlx::Error> {
        let mut out = self.database_part(db).await?;
        self.write_links(&mut out);
        write_transaction_sizes(&mut out);
        let _ = writeln!(
            out,
            "# HELP ferry_http_request_duration_seconds Time until a response's headers, by door."
        );
        let _ = writeln!(out, "# TYPE ferry_http_request_duration_seconds histogram");
        for (door, histogram) in Door::ALL.iter().zip(&self.http) {
            histogram.write(
                &mut out,
                "ferry_http_request_duration_seconds",
                &format!("door=\"{}\"", door.label()),
            );
        }
        let _ = writeln!(
            out,
            "# HELP ferry_http_server_errors_total Responses with a 5xx status, by door."
        );
        let _ = writeln!(out, "# TYPE ferry_http_server_errors_total counter");
        for (door, errors) in Door::ALL.iter().zip(&self.http_errors) {
            let _ = writeln!(
                out,
                "ferry_http_server_errors_total{{door=\"{}\"}} {}",
                door.label(),
                errors.load(Ordering::Relaxed)
            );
        }
        Ok(out)
    }

    async fn database_part(&self, db: &Db) -> Result<String, sqlx::Error> {
        if let Ok(cache) = self.db_cache.lock() {
            if let Some((at, text)) = cache.as_ref() {
                if at.elapsed() < DB_REFRESH {
                    return Ok(text.clone());
                }
            }
        }
        let counts = engine::delivery::store::operations_counts(db).await?;
        let mut out = String::new();
        let _ = writeln!(
            out,
            "# HELP ferry_messages Messages in the database by status (§8) and route."
        );
        let _ = writeln!(out, "# TYPE ferry_messages gauge");
        for (status, route, n) in &counts.messages {
            let _ = writeln!(
                out,
                "ferry_messages{{status=\"{}\",code=\"{}\",route=\"{route}\"}} {n}",
                status.label(),
                status.code()
            );
        }
        let _ = writeln!(
            out,
            "# HELP ferry_queue_due Messages due to be handed to an operator now."
        );
        let _ = writeln!(out, "# TYPE ferry_queue_due gauge");
        let _ = writeln!(out, "ferry_queue_due {}", counts.due_now);
        let _ = writeln!(
            out,
            "# HELP ferry_callbacks_waiting Callbacks in the outbox not yet answered 2xx."
        );
        let _ = writeln!(out, "# TYPE ferry_callbacks_waiting gauge");
        let _ = writeln!(out, "ferry_callbacks_waiting {}", counts.callbacks_waiting);
        if let Ok(mut cache) = self.db_cache.lock() {
            *cache = Some((Instant::now(), out.clone()));
        }
        Ok(out)
    }

    fn write_links(&self, out: &mut String) {
        let links = self
            .dispatcher
            .get()
            .map(SmscLinks::states)
            .unwrap_or_default();
        type Read = fn(&engine::delivery::dispatcher::LinkState) -> u64;
        let series: [(&str, &str, &str, Read); 7] = [
            (
                "ferry_smsc_bound",
                "gauge",
                "1 while the SMPP session is bound.",
                |l| u64::from(l.bound),
            ),
            (
                "ferry_smsc_in_flight",
                "gauge",
                "Submits awaiting their submit_sm_resp.",
                |l| l.in_flight as u64,
            ),
            (
                "ferry_smsc_window",
                "gauge",
                "The connection's window.",
                |l| l.window as u64,
            ),
            (
                "ferry_smsc_submits_accepted_total",
                "counter",
                "Messages the SMSC accepted.",
                |l| l.counters.submits_accepted.load(Ordering::Relaxed),
            ),
            (
                "ferry_smsc_submits_failed_total",
                "counter",
                "Messages refused or not handed over.",
                |l| l.counters.submits_failed.load(Ordering::Relaxed),
            ),
            (
                "ferry_smsc_receipts_total",
                "counter",
                "Delivery receipts stored.",
                |l| l.counters.receipts.load(Ordering::Relaxed),
            ),
            (
                "ferry_smsc_reply_parts_total",
                "counter",
                "Reply (MO) parts stored.",
                |l| l.counters.replies.load(Ordering::Relaxed),
            ),
        ];
        for (name, kind, help, read) in series {
            let _ = writeln!(out, "# HELP {name} {help}");
            let _ = writeln!(out, "# TYPE {name} {kind}");
            for link in &links {
                let smsc = link.name.replace(['"', '\\', '\n'], "_");
                let _ = writeln!(out, "{name}{{smsc=\"{smsc}\"}} {}", read(link));
            }
        }
    }
}

/// Rows per write transaction of the sending path, by kind (the writer's ticks), and the time
/// those transactions took from begin to commit.
fn write_transaction_sizes(out: &mut String) {
    use engine::delivery::write_sizes::{snapshot, ROW_BUCKETS};
    let sizes = snapshot();
    let _ = writeln!(
        out,
        "# HELP ferry_writer_tick_rows Rows per write transaction (one disk sync each), by kind."
    );
    let _ = writeln!(out, "# TYPE ferry_writer_tick_rows histogram");
    for s in &sizes {
        let kind = s.kind.label();
        let mut cumulative = 0;
        for (bound, n) in ROW_BUCKETS.iter().zip(s.buckets) {
            cumulative += n;
            let _ = writeln!(
                out,
                "ferry_writer_tick_rows_bucket{{kind=\"{kind}\",le=\"{bound}\"}} {cumulative}"
            );
        }
        let _ = writeln!(
            out,
            "ferry_writer_tick_rows_bucket{{kind=\"{kind}\",le=\"+Inf\"}} {}",
            s.transactions
        );
        let _ = writeln!(
            out,
            "ferry_writer_tick_rows_sum{{kind=\"{kind}\"}} {}",
            s.rows
        );
        let _ = writeln!(
            out,
            "ferry_writer_tick_rows_count{{kind=\"{kind}\"}} {}",
            s.transactions
        );
    }
    let _ = writeln!(
        out,
        "# HELP ferry_writer_tick_seconds_total Time write transactions took from begin to commit, by kind (commit: the COMMIT alone)."
    );
    let _ = writeln!(out, "# TYPE ferry_writer_tick_seconds_total counter");
    for s in &sizes {
        let _ = writeln!(
            out,
            "ferry_writer_tick_seconds_total{{kind=\"{}\"}} {}",
            s.kind.label(),
            s.seconds
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_histogram_is_cumulative_with_sum_and_count() {
        let h = Histogram::default();
        h.observe(Duration::from_millis(3));
        h.observe(Duration::from_millis(30));
        h.observe(Duration::from_secs(20));
        let mut out = String::new();
        h.write(&mut out, "x", "door=\"api\"");
        assert!(
            out.contains("x_bucket{door=\"api\",le=\"0.005\"} 1\n"),
            "{out}"
        );
        assert!(
            out.contains("x_bucket{door=\"api\",le=\"0.05\"} 2\n"),
            "{out}"
        );
        assert!(
            out.contains("x_bucket{door=\"api\",le=\"10\"} 2\n"),
            "{out}"
        );
        assert!(
            out.contains("x_bucket{door=\"api\",le=\"+Inf\"} 3\n"),
            "{out}"
        );
        assert!(out.contains("x_count{door=\"api\"} 3\n"), "{out}");
        assert!(out.contains("x_sum{door=\"api\"} 20.033\n"), "{out}");
    }

    #[test]
    fn doors_are_told_by_path() {
        assert_eq!(Door::of("/api/v1/messages"), Door::Api);
        assert_eq!(Door::of("/soap"), Door::Soap);
        assert_eq!(Door::of("/inbox"), Door::Portal);
        assert_eq!(Door::of("/api/inbox_replies"), Door::Portal);
    }
}

/// What the three endpoints need.
#[derive(Clone)]
pub struct Endpoints {
    pub db: Db,
    /// Who may read `/metrics`.
    pub allow: engine::settings::IpAllowList,
}

/// `GET /healthz`: the process is up and answering.
pub async fn healthz() -> &'static str {
    "ok\n"
}

/// `GET /readyz`: and its database answers (a load balancer sends it traffic).
pub async fn readyz(
    axum::extract::State(endpoints): axum::extract::State<Endpoints>,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let check = tokio::time::timeout(
        Duration::from_secs(2),
        sqlx::query_scalar::<_, i64>("SELECT 1").fetch_one(endpoints.db.pool()),
    )
    .await;
    match check {
        Ok(Ok(_)) => (http::StatusCode::OK, "ready\n").into_response(),
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "readiness: database");
            (
                http::StatusCode::SERVICE_UNAVAILABLE,
                "database unavailable\n",
            )
                .into_response()
        }
        Err(_) => (
            http::StatusCode::SERVICE_UNAVAILABLE,
            "database did not answer within 2 s\n",
        )
            .into_response(),
    }
}

/// `GET /metrics`, for the addresses in `[metrics] allow`.
pub async fn metrics_text(
    axum::extract::State(endpoints): axum::extract::State<Endpoints>,
    axum::Extension(ctx): axum::Extension<app::auth::context::RequestContext>,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    if !endpoints.allow.allows(ctx.ip) {
        return (
            http::StatusCode::FORBIDDEN,
            "Metrics are served to the addresses in [metrics] allow only.\n",
        )
            .into_response();
    }
    match metrics().render(&endpoints.db).await {
        Ok(text) => (
            [(
                http::header::CONTENT_TYPE,
                "text/plain; version=0.0.4; charset=utf-8",
            )],
            text,
        )
            .into_response(),
        Err(e) => {
            tracing::error!(error = %e, "metrics");
            (
                http::StatusCode::SERVICE_UNAVAILABLE,
                "database unavailable\n",
            )
                .into_response()
        }
    }
}
