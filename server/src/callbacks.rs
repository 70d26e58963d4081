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
    let mut builder = reqwest::Client::builder();
    if !settings.allow_private_targets {
        builder = builder.dns_resolver(std::sync::Arc::new(PublicAddressesOnly));
    }
    let client = builder
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
        allow_private_targets: settings.allow_private_targets,
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
    allow_private_targets: bool,
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
        // A name is checked when it is resolved (`PublicAddressesOnly`), so the address
        // connected to is the one checked; an address written in the URL is checked here.
        if !self.allow_private_targets {
            if let Some(ip) = literal_ip(&callback.url).filter(|ip| !is_public(*ip)) {
                return Attempt::Abandoned(format!(
                    "the URL points at {ip}, which is not a public address; Ferry does not call its own network"
                ));
            }
        }
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

/// Resolves callback hosts to their public addresses only (SSRF): a customer's URL must not
/// reach Ferry's own host or network, whatever name points there, and as reqwest connects to
/// the addresses returned here, a name cannot be checked with one answer and used with another.
struct PublicAddressesOnly;

impl reqwest::dns::Resolve for PublicAddressesOnly {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let host = name.as_str().to_string();
        Box::pin(async move {
            let found: Vec<std::net::SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let public: Vec<std::net::SocketAddr> =
                found.into_iter().filter(|a| is_public(a.ip())).collect();
            if public.is_empty() {
                return Err(format!(
                    "{host} has no public address; Ferry does not call its own network"
                )
                .into());
            }
            let addrs: reqwest::dns::Addrs = Box::new(public.into_iter());
            Ok(addrs)
        })
    }
}

/// The host of `url` when it is an IP address.
fn literal_ip(url: &str) -> Option<std::net::IpAddr> {
    let url = reqwest::Url::parse(url).ok()?;
    let host = url.host_str()?;
    host.trim_start_matches('[')
        .trim_end_matches(']')
        .parse()
        .ok()
}

/// Whether `ip` is on the public internet: not loopback, private, shared (CGNAT), link-local,
/// unique-local, multicast, documentation, benchmarking, reserved or unspecified (an IPv4
/// address inside IPv6 is judged as IPv4).
fn is_public(ip: std::net::IpAddr) -> bool {
    use std::net::IpAddr;
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, c, _] = v4.octets();
            !(v4.is_private()
                || v4.is_loopback()
                || v4.is_link_local()
                || v4.is_broadcast()
                || v4.is_documentation()
                || v4.is_unspecified()
                || v4.is_multicast()
                || a == 0
                || (a == 100 && (64..128).contains(&b))
                || (a == 192 && b == 0 && c == 0)
                || (a == 198 && (18..20).contains(&b))
                || a >= 240)
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public(IpAddr::V4(v4));
            }
            let s = v6.segments();
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (s[0] & 0xfe00) == 0xfc00
                || (s[0] & 0xffc0) == 0xfe80
                || (s[0] == 0x2001 && s[1] == 0x0db8)
                // NAT64 (64:ff9b::/96) reaches IPv4 addresses through a gateway.
                || (s[0] == 0x64 && s[1] == 0xff9b && s[2..6] == [0, 0, 0, 0]
                    && !is_public(IpAddr::V4(std::net::Ipv4Addr::new(
                        (s[6] >> 8) as u8,
                        s[6] as u8,
                        (s[7] >> 8) as u8,
                        s[7] as u8,
                    )))))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_public_addresses_are_called() {
        for private in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "192.0.0.8",
            "198.18.0.1",
            "203.0.113.5",
            "255.255.255.255",
            "240.0.0.1",
            "224.0.0.1",
            "::1",
            "::",
            "fc00::1",
            "fd12:3456::1",
            "fe80::1",
            "ff02::1",
            "2001:db8::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "64:ff9b::a00:1",
        ] {
            let ip: std::net::IpAddr = private.parse().expect("address");
            assert!(!is_public(ip), "{private} is not public");
        }
        for public in [
            "8.8.8.8",
            "1.1.1.1",
            "2606:4700::1111",
            "::ffff:8.8.8.8",
            "64:ff9b::808:808",
        ] {
            let ip: std::net::IpAddr = public.parse().expect("address");
            assert!(is_public(ip), "{public} is public");
        }
    }

    #[test]
    fn addresses_written_in_the_url_are_found() {
        assert_eq!(
            literal_ip("http://127.0.0.1:8080/hook"),
            Some("127.0.0.1".parse().expect("ip"))
        );
        assert_eq!(
            literal_ip("https://[::1]/hook"),
            Some("::1".parse().expect("ip"))
        );
        // The URL parser reads the odd spellings the way the connection would.
        assert_eq!(
            literal_ip("http://2130706433/"),
            Some("127.0.0.1".parse().expect("ip"))
        );
        assert_eq!(literal_ip("https://hooks.example.com/x"), None);
    }
}
