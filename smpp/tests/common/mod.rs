//! Helpers shared by the loopback tests: a simulator per test on a random port, a client
//! bound to it, and a bounded wait for events.
#![allow(dead_code)]

use smpp::simulator::Account;
use smpp::{
    Behaviour, Client, ClientConfig, ClientHandle, Envelope, Event, OutboundMessage, Simulator,
    SimulatorConfig, SimulatorHandle, SourceAddress, SubmitRequest,
};
use sms::SegmentTable;
use std::future::Future;
use std::time::Duration;
use tokio::sync::mpsc;

pub const SYSTEM_ID: &str = "ferry";
pub const PASSWORD: &str = "secret";

/// Every test body runs under this bound so a hang fails instead of blocking CI.
pub async fn bounded<T>(secs: u64, f: impl Future<Output = T>) -> T {
    match tokio::time::timeout(Duration::from_secs(secs), f).await {
        Ok(v) => v,
        Err(_) => panic!("test did not finish within {secs} s"),
    }
}

pub async fn simulator(behaviour: Behaviour) -> SimulatorHandle {
    let config = SimulatorConfig {
        accounts: vec![Account {
            system_id: SYSTEM_ID.into(),
            password: PASSWORD.into(),
        }],
        behaviour,
        ..SimulatorConfig::default()
    };
    Simulator::start(config).await.expect("simulator starts")
}

pub fn client_config(sim: &SimulatorHandle) -> ClientConfig {
    let mut c = ClientConfig::new(sim.addr.to_string(), SYSTEM_ID, PASSWORD);
    c.response_timeout = Duration::from_secs(5);
    c.wait_for_bind = Duration::from_secs(5);
    c.reconnect_initial = Duration::from_millis(20);
    c.reconnect_max = Duration::from_millis(200);
    c.throttle_backoff = Duration::from_millis(10);
    c
}

pub async fn connect(config: ClientConfig) -> (ClientHandle, mpsc::Receiver<Event>) {
    Client::connect(config).await.expect("binds")
}

pub fn message(destination: &str, text: &str) -> OutboundMessage {
    OutboundMessage {
        envelope: Envelope {
            source: SourceAddress::Alphanumeric("FERRY".into()),
            destination: destination.into(),
            validity: None,
            registered_delivery: true,
        },
        text: text.into(),
        table: SegmentTable::Standard,
        reference: 7,
    }
}

pub fn parts(destination: &str, text: &str) -> Vec<SubmitRequest> {
    message(destination, text).parts().expect("valid message")
}

/// Next receipt or MO event, skipping connection events.
pub async fn next_delivery(events: &mut mpsc::Receiver<Event>) -> Event {
    loop {
        match events.recv().await {
            Some(e @ (Event::Receipt { .. } | Event::Mo { .. })) => return e,
            Some(_) => continue,
            None => panic!("event channel closed"),
        }
    }
}

/// Waits until `check` holds on the simulator's stats.
pub async fn until_stats(sim: &SimulatorHandle, check: impl Fn(&smpp::Stats) -> bool) {
    loop {
        if check(&sim.stats()) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}
