//! Starting the delivery engine from configuration: the built-in SMSC simulator (in-process by
//! default, so a fresh install sends end to end) and the dispatcher with its SMSC connections.

use crate::config::{Config, SimulatorSettings, SmscSettings};
use engine::db::Db;
use engine::delivery::connections;
use engine::delivery::dispatcher::{
    self, DispatcherConfig, DispatcherHandle, SmscConfig, SmscLinks,
};
use smpp::{Behaviour, MsgIdMatching, Outcome, SimulatorConfig, SimulatorHandle};
use sms::Route;
use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum DeliveryStartError {
    #[error("SMSC {name}: unknown route {route:?} (use HK_BUSINESS, HK_ECONOMIC, CHINA or INTERNATIONAL)")]
    UnknownRoute { name: String, route: String },
    #[error("SMSC {name}: unknown msg_id_matching {value:?} (use auto, exact, submit_hex_receipt_decimal, submit_decimal_receipt_hex or ignore_leading_zeros)")]
    UnknownMatching { name: String, value: String },
    #[error("cannot start the built-in SMSC simulator: {0}")]
    Simulator(String),
}

/// The running engine: stop it before closing the database.
pub struct Delivery {
    pub dispatcher: Option<DispatcherHandle>,
    pub simulator: Option<SimulatorHandle>,
    /// Applies staff's changes to the SMSC connections.
    watcher: Option<tokio::task::JoinHandle<()>>,
}

impl Delivery {
    pub async fn shutdown(self) {
        if let Some(w) = self.watcher {
            w.abort();
        }
        if let Some(d) = self.dispatcher {
            d.shutdown().await;
        }
        if let Some(s) = self.simulator {
            s.shutdown();
        }
    }
}

pub fn simulator_config(settings: &SimulatorSettings) -> SimulatorConfig {
    let behaviour = Behaviour {
        receipt_delay: Duration::from_millis(settings.receipt_delay_ms),
        retry_delay: Duration::from_millis(settings.retry_delay_ms),
        outcomes: vec![
            (Outcome::Delivered, settings.outcomes.delivered),
            (
                Outcome::HandsetOffThenDelivered,
                settings.outcomes.handset_off_then_delivered,
            ),
            (
                Outcome::HandsetOffThenExpired,
                settings.outcomes.handset_off_then_expired,
            ),
            (
                Outcome::UnknownSubscriber,
                settings.outcomes.unknown_subscriber,
            ),
            (Outcome::BlockedAsSpam, settings.outcomes.blocked_as_spam),
        ]
        .into_iter()
        .filter(|(_, w)| *w > 0)
        .collect(),
        reject_percent: settings.reject_percent,
        drop_every: (settings.drop_every_ms > 0)
            .then(|| Duration::from_millis(settings.drop_every_ms)),
        ..Behaviour::default()
    };
    SimulatorConfig {
        listen: settings.listen,
        behaviour,
        // Inside `ferry serve` it runs for months: keep its records small.
        history_limit: 10_000,
        ..SimulatorConfig::default()
    }
}

fn parse_matching(name: &str, value: &str) -> Result<MsgIdMatching, DeliveryStartError> {
    value
        .parse()
        .map_err(|_| DeliveryStartError::UnknownMatching {
            name: name.into(),
            value: value.into(),
        })
}

fn smsc_config(s: &SmscSettings) -> Result<SmscConfig, DeliveryStartError> {
    let routes = if s.routes.is_empty() {
        Route::ALL.to_vec()
    } else {
        s.routes
            .iter()
            .map(|r| {
                r.parse::<Route>()
                    .map_err(|_| DeliveryStartError::UnknownRoute {
                        name: s.name.clone(),
                        route: r.clone(),
                    })
            })
            .collect::<Result<_, _>>()?
    };
    Ok(SmscConfig {
        name: s.name.clone(),
        address: s.address.clone(),
        system_id: s.system_id.clone(),
        password: s.password.clone(),
        routes,
        window: s.window,
        max_per_second: (s.max_per_second > 0.0).then_some(s.max_per_second),
        msg_id_matching: parse_matching(&s.name, &s.msg_id_matching)?,
        priority: s.priority,
    })
}

/// Starts the simulator (when enabled) and the dispatcher (when enabled). With no SMSC
/// configured, every route goes to the built-in simulator.
pub async fn start(config: &Config, db: Db) -> Result<Delivery, DeliveryStartError> {
    let simulator = if config.simulator.enabled {
        let handle = smpp::Simulator::start(simulator_config(&config.simulator))
            .await
            .map_err(|e| DeliveryStartError::Simulator(e.to_string()))?;
        tracing::info!(addr = %handle.addr, "built-in SMSC simulator listening");
        Some(handle)
    } else {
        None
    };
    if !config.dispatcher.enabled {
        return Ok(Delivery {
            dispatcher: None,
            simulator,
            watcher: None,
        });
    }
    let connections = Connections {
        file: config
            .smsc
            .iter()
            .map(smsc_config)
            .collect::<Result<Vec<_>, _>>()?,
        simulator: simulator.as_ref().map(|sim| SmscConfig {
            name: connections::SIMULATOR_NAME.into(),
            address: sim.addr.to_string(),
            system_id: "ferry".into(),
            password: "ferry".into(),
            routes: Route::ALL.to_vec(),
            window: 100,
            max_per_second: None,
            msg_id_matching: MsgIdMatching::Auto,
            priority: 1,
        }),
    };
    let managed = match connections::store::enabled(&db).await {
        Ok(managed) => managed,
        Err(e) => {
            // The watcher tries again in a moment; ferry.toml's connections start now.
            tracing::warn!(error = %e, "cannot read the console's SMSC connections");
            Vec::new()
        }
    };
    let smscs = connections.running(managed);
    if smscs.is_empty() {
        tracing::warn!(
            "no SMSC configured and the simulator is off: messages will wait in the queue"
        );
    }
    let dispatcher_config = DispatcherConfig {
        workers: config.dispatcher.workers.max(1),
        claim_batch: config.dispatcher.claim_batch.max(1),
        smscs,
        two_way: config.two_way.settings(),
        ..DispatcherConfig::default()
    };
    tracing::info!(node = %dispatcher_config.node_id, workers = dispatcher_config.workers, "dispatcher starting");
    let dispatcher = dispatcher::start(db.clone(), dispatcher_config);
    let watcher = tokio::spawn(watch_connections(db, connections, dispatcher.links()));
    Ok(Delivery {
        dispatcher: Some(dispatcher),
        simulator,
        watcher: Some(watcher),
    })
}

/// Where the dispatcher's connections come from.
struct Connections {
    /// `[[smsc]]` in ferry.toml: fixed while the process runs.
    file: Vec<SmscConfig>,
    /// The built-in simulator, when it runs.
    simulator: Option<SmscConfig>,
}

impl Connections {
    /// ferry.toml's connections and the console's enabled ones; with neither, the built-in
    /// simulator takes every route, so a fresh install sends end to end, and stops as soon as
    /// a real connection is configured (a real message must never go to a simulator).
    fn running(&self, managed: Vec<SmscConfig>) -> Vec<SmscConfig> {
        let mut all = self.file.clone();
        all.extend(managed);
        if all.is_empty() {
            all.extend(self.simulator.clone());
        }
        all
    }
}

/// How long a change made in the console (by any process on the database) takes at most to
/// reach this dispatcher; one made through this process is applied at once.
const CONNECTIONS_POLL: Duration = Duration::from_secs(2);

async fn watch_connections(db: Db, connections: Connections, links: SmscLinks) {
    loop {
        tokio::select! {
            _ = tokio::time::sleep(CONNECTIONS_POLL) => {}
            _ = links.reload_requested() => {}
        }
        match connections::store::enabled(&db).await {
            Ok(managed) => {
                let wanted = connections.running(managed);
                if wanted != links.configs() {
                    let names: Vec<&str> = wanted.iter().map(|c| c.name.as_str()).collect();
                    tracing::info!(?names, "SMSC connections changed");
                    links.reconfigure(wanted);
                }
            }
            Err(e) => tracing::warn!(error = %e, "cannot read the console's SMSC connections"),
        }
    }
}
