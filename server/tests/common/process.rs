//! The real `ferry` binary as a child process, for the tests that kill, restart or attack it.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// `ferry` with quiet logs; add the arguments and environment, then [`start`] it.
pub fn ferry() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_ferry"));
    command.env("FERRY_LOG", "warn");
    command
}

/// Starts a `ferry … serve` command and returns once it says it is running (migrations done,
/// dispatcher and callback sender started), with the address it listens on. Its stdout is
/// drained from then on, so the child never blocks on a full pipe.
pub fn start(command: Command) -> (Child, SocketAddr) {
    let (child, http, _) = start_listening(command);
    (child, http)
}

/// [`start`], also returning the email API's address when `[smtp] listen` is set.
pub fn start_listening(mut command: Command) -> (Child, SocketAddr, Option<SocketAddr>) {
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn ferry");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let deadline = Instant::now() + Duration::from_secs(60);
    let after = |line: &str, marker: &str| -> SocketAddr {
        let rest = line.split(marker).nth(1).expect("address");
        rest.split_whitespace()
            .next()
            .expect("address")
            .parse()
            .expect("socket address")
    };
    let mut smtp = None;
    let addr = loop {
        match lines.next() {
            Some(Ok(line)) if line.contains("Ferry is running at http") => {
                break after(&line, "://");
            }
            Some(Ok(line)) if line.contains("Email API (SMTP) listening on ") => {
                smtp = Some(after(&line, "listening on "));
            }
            Some(_) if Instant::now() < deadline => continue,
            _ => panic!("ferry did not start"),
        }
    };
    std::thread::spawn(move || for _ in lines {});
    (child, addr, smtp)
}

/// Starts `ferry serve` with `config` (its database from the file, not the environment).
pub fn spawn_ferry(config: &Path) -> Child {
    serve(config).0
}

/// [`spawn_ferry`], with the HTTP address and the email API's (when `[smtp] listen` is set).
pub fn serve(config: &Path) -> (Child, SocketAddr, Option<SocketAddr>) {
    let mut command = ferry();
    command
        .arg("--config")
        .arg(config)
        .arg("serve")
        .env_remove("DATABASE_URL");
    start_listening(command)
}

/// An empty directory of its own for one test's Ferry: `<tmp>/<name>-<pid>`.
pub fn test_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("test directory");
    dir
}

/// Writes `<dir>/ferry.toml`: a free loopback port, `database_url`, `dir` as the data
/// directory, then `extra` (more TOML, tables included); returns its path.
pub fn write_config(dir: &Path, database_url: &str, extra: &str) -> PathBuf {
    let config = dir.join("ferry.toml");
    std::fs::write(
        &config,
        format!(
            "listen = \"127.0.0.1:0\"\ndatabase_url = \"{database_url}\"\ndata_dir = \"{}\"\n{extra}",
            dir.display()
        ),
    )
    .expect("write ferry.toml");
    config
}

/// A child process killed when dropped, so a failing assertion does not leave it running.
pub struct KillOnDrop(pub Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
