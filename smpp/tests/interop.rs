//! Interop with third-party SMPP implementations (see end2end/smpp-peers/README.md):
//! - Ferry's client against node-smpp (npm `smpp`) acting as the SMSC;
//! - PyPI `smpplib` acting as the ESME against Ferry's simulator.
//!
//! A missing peer skips the test with a message, unless FERRY_REQUIRE_INTEROP=1 (CI), where it
//! fails: a green run must mean the peers really ran.

mod common;

use common::*;
use smpp::{Behaviour, Correlator, Event, MsgIdMatching, SubmitOutcome};
use sms::status::DeliveryStatus;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(PathBuf::from)
        .unwrap_or_default()
}

/// `Ok(())` when the peer can run; otherwise skips (returns `Err`) or panics under
/// FERRY_REQUIRE_INTEROP=1.
fn require(available: bool, what: &str) -> Result<(), ()> {
    if available {
        return Ok(());
    }
    if std::env::var("FERRY_REQUIRE_INTEROP").as_deref() == Ok("1") {
        panic!("{what} is missing and FERRY_REQUIRE_INTEROP=1; see end2end/smpp-peers/README.md");
    }
    eprintln!("SKIPPED: {what} is missing (see end2end/smpp-peers/README.md)");
    Err(())
}

async fn runs(program: &str, args: &[&str]) -> bool {
    Command::new(program)
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .await
        .is_ok_and(|s| s.success())
}

#[tokio::test]
async fn ferry_client_against_node_smpp_smsc() {
    let root = repo_root();
    let has_node = runs("node", &["--version"]).await;
    let has_pkg = root.join("end2end/node_modules/smpp/package.json").exists();
    if require(has_node && has_pkg, "node or the npm package `smpp`").is_err() {
        return;
    }
    bounded(60, async {
        let mut peer = Command::new("node")
            .arg(root.join("end2end/smpp-peers/npm-smsc.mjs"))
            .arg("0")
            .current_dir(root.join("end2end"))
            .stdout(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("node starts");
        let stdout = peer.stdout.take().expect("stdout");
        let mut lines = BufReader::new(stdout).lines();
        let line = lines.next_line().await.ok().flatten().unwrap_or_default();
        let port: u16 = line
            .strip_prefix("listening ")
            .and_then(|p| p.trim().parse().ok())
            .unwrap_or_else(|| panic!("unexpected output from npm-smsc: {line:?}"));

        let mut config = smpp::ClientConfig::new(format!("127.0.0.1:{port}"), "ferry", "any");
        config.window = 50;
        config.response_timeout = Duration::from_secs(10);
        let (client, mut events) = connect(config).await;
        let reqs: Vec<_> = (0..200)
            .map(|i| parts(&format!("8529{i:07}"), &format!("interop {i} €"))[0].clone())
            .collect();
        let outcomes = futures::future::join_all(reqs.iter().map(|r| client.submit(r))).await;

        let mut correlator: Correlator<usize> = Correlator::new(MsgIdMatching::Auto, 1_000);
        let mut delivered = 0;
        for (i, o) in outcomes.into_iter().enumerate() {
            match o {
                Ok(SubmitOutcome::Accepted { message_id }) => {
                    delivered += correlator.accepted(&message_id, i).len();
                }
                other => panic!("submit {i}: {other:?}"),
            }
        }
        while delivered < 200 {
            match events.recv().await {
                Some(Event::Receipt { receipt, .. }) => {
                    assert_eq!(receipt.status, DeliveryStatus::Delivered, "{receipt:?}");
                    if correlator.receipt(receipt).is_some() {
                        delivered += 1;
                    }
                }
                Some(_) => {}
                None => panic!("events ended"),
            }
        }
        assert_eq!(correlator.parked(), 0, "no receipt left unmatched");
        assert_eq!(
            correlator.pending(),
            0,
            "every accepted part got its receipt"
        );
        client.shutdown().await;
    })
    .await;
}

fn venv_python() -> PathBuf {
    if let Ok(p) = std::env::var("FERRY_SMPPLIB_PYTHON") {
        return PathBuf::from(p);
    }
    let home = std::env::var("HOME").unwrap_or_default();
    PathBuf::from(home).join(".cache/ferry/venv/bin/python")
}

#[tokio::test]
async fn smpplib_esme_against_ferry_simulator() {
    let python = venv_python();
    let python_s = python.to_string_lossy().to_string();
    let has_smpplib = runs(&python_s, &["-c", "import smpplib"]).await;
    if require(has_smpplib, "the smpplib virtualenv").is_err() {
        return;
    }
    bounded(60, async {
        let sim = simulator(Behaviour {
            receipt_delay: Duration::from_millis(5),
            ..Behaviour::default()
        })
        .await;
        let output = Command::new(&python)
            .arg(repo_root().join("end2end/smpp-peers/smpplib-esme.py"))
            .arg(sim.addr.ip().to_string())
            .arg(sim.addr.port().to_string())
            .arg(SYSTEM_ID)
            .arg(PASSWORD)
            .output()
            .await
            .expect("python runs");
        assert!(
            output.status.success(),
            "smpplib script failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let stdout = String::from_utf8_lossy(&output.stdout);
        let parts: usize = stdout
            .split("\"parts\": ")
            .nth(1)
            .and_then(|s| s.split(',').next())
            .and_then(|s| s.trim().parse().ok())
            .unwrap_or_else(|| panic!("no summary in {stdout:?}"));
        assert_eq!(stdout.matches("stat:DELIVRD").count(), parts, "{stdout}");

        let stats = sim.stats();
        assert_eq!(stats.binds, 1);
        assert_eq!(stats.accepted as usize, parts);
        let texts: Vec<&str> = stats.messages.iter().map(|m| m.text.as_str()).collect();
        let long = format!("Long {}", "x".repeat(300));
        for expected in ["Hello from smpplib", "你好，smpplib", long.as_str()] {
            assert!(texts.contains(&expected), "{expected:?} not in {texts:?}");
        }
        until_stats(&sim, |s| s.receipts_acked as usize == parts).await;
    })
    .await;
}
