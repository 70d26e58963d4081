//! The real `ferry` binary as a child process, for the tests that kill and restart it.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Starts `ferry serve` with `config` and returns once it says it is running (migrations done,
/// dispatcher and callback sender started).
pub fn spawn_ferry(config: &std::path::Path) -> Child {
    let mut child = Command::new(env!("CARGO_BIN_EXE_ferry"))
        .arg("--config")
        .arg(config)
        .arg("serve")
        .env_remove("DATABASE_URL")
        .env("FERRY_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn ferry");
    // Wait until it is up (migrations done, dispatcher started).
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        match lines.next() {
            Some(Ok(line)) if line.contains("Ferry is running") => break,
            Some(_) if Instant::now() < deadline => continue,
            _ => panic!("ferry did not start"),
        }
    }
    // Keep draining stdout so the child never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    child
}
