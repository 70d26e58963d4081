//! Sending delivery-status callbacks (§11) from the engine's durable outbox
//! (`engine::callbacks`): each tick moves newly final messages into the outbox, claims the due
//! callbacks with a lease, POSTs each one signed, at most `concurrency` at a time, and records
//! how every attempt ended. Several `ferry serve` processes on one database share the work: a
//! claimed callback is leased to one of them.

use crate::api::resources::{
    rfc3339, EventType, Message, Reply, ReplyEvent, ReplyEventType, StatusEvent,
};
use crate::config::CallbackSettings;
use engine::callbacks::store::{self as outbox, Attempt, DueCallback};
use engine::callbacks::{self, RetryPolicy};
use engine::db::Db;
use futures::StreamExt;
use std::time::Duration;
use tokio::sync::watch;

/// The running sender: stop it before closing the database.
pub struct CallbackSender {
    stop: watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

impl CallbackSender {
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
    }
}

#[derive(Debug, thiserror::Error)]
#[error("cannot build the callback HTTP client: {0}")]
pub struct ClientError(#[from] reqwest::Error);

/// Starts sending on the current runtime.
pub fn start(settings: &CallbackSettings, db: Db) -> Result<CallbackSender, ClientError> {
    let timeout = Duration::from_millis(settings.timeout_ms.max(1));
    let client = reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout)
        // A receiver answers for itself: a redirect is not followed (it could point anywhere).
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!(
            "Ferry/",
            env!("CARGO_PKG_VERSION"),
            " (status callbacks)"
        ))
        .build()?;
    let (stop, stopped) = watch::channel(false);
    let sender = Sender {
        db,
        client,
        policy: RetryPolicy {
            first_retry_ms: to_i64(settings.first_retry_ms),
            max_retry_ms: to_i64(settings.max_retry_ms),
            give_up_after_ms: to_i64(settings.give_up_after_hours.saturating_mul(3_600_000)),
        },
        concurrency: settings.concurrency.max(1),
        // Longer than an attempt can take (connect, then answer, each within the timeout), so
        // an attempt in flight is never taken again by another process.
        lease_ms: to_i64(settings.timeout_ms.saturating_mul(2).saturating_add(5_000)),
        timeout,
        poll: Duration::from_millis(settings.poll_ms.max(10)),
    };
    let task = tokio::spawn(sender.run(stopped));
    Ok(CallbackSender { stop, task })
}

fn to_i64(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

struct Sender {
    db: Db,
    client: reqwest::Client,
    policy: RetryPolicy,
    concurrency: usize,
    lease_ms: i64,
    timeout: Duration,
    poll: Duration,
}

impl Sender {
    async fn run(self, mut stopped: watch::Receiver<bool>) {
        loop {
            let busy = match self.tick().await {
                Ok(busy) => busy,
                Err(e) => {
                    tracing::warn!(error = %e, "status callbacks: database error; trying again");
                    false
                }
            };
            if *stopped.borrow() {
                return;
            }
            if !busy {
                tokio::select! {
                    _ = tokio::time::sleep(self.poll) => {}
                    _ = stopped.changed() => return,
                }
            }
        }
    }

    /// One round; true when there may be more to do at once.
    async fn tick(&self) -> Result<bool, sqlx::Error> {
        let limit = i64::try_from(self.concurrency * 4).unwrap_or(64);
        let moved = outbox::enqueue_finished(&self.db, 1_000).await?;
        let due = outbox::claim_due(&self.db, limit, self.lease_ms).await?;
        if due.is_empty() {
            return Ok(moved == 1_000);
        }
        let claimed = due.len();
        let attempts: Vec<(DueCallback, Attempt)> = futures::stream::iter(due)
            .map(|callback| async move {
                let attempt = self.attempt(&callback).await;
                (callback, attempt)
            })
            .buffer_unordered(self.concurrency)
            .collect()
            .await;
        for (callback, attempt) in &attempts {
            match attempt {
                Attempt::Delivered(_) => {
                    tracing::debug!(
                        callback = callback.id,
                        message = callback.message_id,
                        reply = callback.reply_id,
                        "callback delivered"
                    )
                }
                Attempt::Failed(why) | Attempt::Abandoned(why) => tracing::info!(
                    callback = callback.id,
                    message = callback.message_id,
                    reply = callback.reply_id,
                    attempt = callback.attempts + 1,
                    url = %callback.url,
                    why = %why,
                    "callback failed"
                ),
            }
        }
        outbox::record(&self.db, &self.policy, &attempts).await?;
        Ok(claimed as i64 == limit || moved == 1_000)
    }

    /// The event a callback tells, as JSON: a message's final status or a reply.
    async fn event(&self, callback: &DueCallback, now: i64) -> Result<String, Attempt> {
        let json = match (callback.message_id, callback.reply_id) {
            (Some(message_id), _) => {
                let message = match engine::delivery::store::message(
                    &self.db,
                    callback.account_id,
                    message_id,
                )
                .await
                {
                    Ok(Some(found)) => found,
                    Ok(None) => {
                        return Err(Attempt::Abandoned("the message no longer exists".into()))
                    }
                    Err(e) => {
                        return Err(Attempt::Failed(format!(
                            "Ferry could not read the message: {e}"
                        )))
                    }
                };
                serde_json::to_string(&StatusEvent {
                    event_id: callback.id,
                    kind: EventType::MessageStatus,
                    created_at: rfc3339(now),
                    message: Message::new(message.0, &message.1),
                })
            }
            (None, Some(reply_id)) => {
                let reply =
                    match engine::two_way::store::reply(&self.db, callback.account_id, reply_id)
                        .await
                    {
                        Ok(found) => found,
                        Err(engine::Error::NotFound) => {
                            return Err(Attempt::Abandoned("the reply no longer exists".into()))
                        }
                        Err(e) => {
                            return Err(Attempt::Failed(format!(
                                "Ferry could not read the reply: {e}"
                            )))
                        }
                    };
                serde_json::to_string(&ReplyEvent {
                    event_id: callback.id,
                    kind: ReplyEventType::ReplyReceived,
                    created_at: rfc3339(now),
                    reply: Reply::from(&reply),
                })
            }
            (None, None) => return Err(Attempt::Abandoned("nothing to tell".into())),
        };
        json.map_err(|e| Attempt::Failed(format!("Ferry could not write the event: {e}")))
    }

    async fn attempt(&self, callback: &DueCallback) -> Attempt {
        let now = engine::db::now_ms();
        let body = match self.event(callback, now).await {
            Ok(body) => body,
            Err(attempt) => return attempt,
        };
        let secret = match callbacks::store::secret(&self.db, callback.account_id).await {
            Ok(s) => s,
            Err(e) => return Attempt::Failed(format!("Ferry could not read the secret: {e}")),
        };
        let timestamp = now / 1000;
        let request = self
            .client
            .post(&callback.url)
            .header(http::header::CONTENT_TYPE, "application/json")
            .header(callbacks::EVENT_ID_HEADER, callback.id.to_string())
            .header(callbacks::TIMESTAMP_HEADER, timestamp.to_string())
            .header(
                callbacks::SIGNATURE_HEADER,
                callbacks::signature(&secret, timestamp, body.as_bytes()),
            )
            .body(body);
        match request.send().await {
            Ok(response) if response.status().is_success() => {
                Attempt::Delivered(format!("HTTP {}", response.status().as_u16()))
            }
            Ok(response) => Attempt::Failed(format!("HTTP {}", response.status().as_u16())),
            Err(e) if e.is_timeout() => {
                Attempt::Failed(format!("no answer within {} s", self.timeout.as_secs_f64()))
            }
            Err(e) if e.is_connect() => Attempt::Failed(format!("cannot connect: {}", root(&e))),
            Err(e) => Attempt::Failed(root(&e)),
        }
    }
}

/// The innermost cause: reqwest's own message ("error sending request") says nothing.
fn root(e: &(dyn std::error::Error + 'static)) -> String {
    let mut cause = e;
    while let Some(next) = cause.source() {
        cause = next;
    }
    cause.to_string()
}
