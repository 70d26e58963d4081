//! `ferry-bench`: the benchmark harness (see bench/run.sh and BENCHMARKS.md), a binary of its
//! own so the shipped `ferry` carries none of it. Built with
//! `cargo build --release -p server --features bench --bin ferry-bench`; each command prints
//! one JSON line.

use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

/// The allocator `ferry` runs with (see its `main.rs`), so the engine is measured as shipped.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "ferry-bench",
    about = "Ferry's benchmark harness: one JSON line per run"
)]
struct Cli {
    #[command(subcommand)]
    command: BenchCommand,
}

#[derive(Subcommand)]
enum BenchCommand {
    /// A mixed batch (GSM-7/UCS-2, 1 and 2 parts) dispatched to an SMSC until every receipt is
    /// applied, on a fresh database.
    Dispatch {
        #[arg(long, value_enum, default_value = "sqlite")]
        backend: server::bench::Backend,
        /// `simulator` (Ferry's own, in-process) or the HOST:PORT of another SMSC.
        #[arg(long, default_value = "simulator")]
        smsc: String,
        #[arg(long, default_value_t = 50_000)]
        messages: u64,
        /// Write accepted/delivered counts every 250 ms to this JSON file.
        #[arg(long)]
        timeline: Option<PathBuf>,
        /// The SMPP window (the `[[smsc]]` `window` setting).
        #[arg(long, default_value_t = 100)]
        window: usize,
        /// SMPP connections (binds) to the SMSC, each with its own window; messages are spread
        /// across them.
        #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..=16))]
        connections: u16,
    },
    /// Migrate a database and create a customer with a sender ID, balance and a session for a
    /// `ferry serve` under load; prints the session cookie.
    Prepare {
        #[arg(long)]
        database_url: String,
    },
    /// The ledger's invariant on a database a benchmark has used; exits non-zero if it is broken.
    CheckLedger {
        #[arg(long)]
        database_url: String,
    },
    /// Delivery Results pages on one batch of N messages, through the real router.
    Results {
        #[arg(long, value_enum, default_value = "sqlite")]
        backend: server::bench::Backend,
        #[arg(long, default_value_t = 50_000)]
        messages: u64,
        #[arg(long, default_value_t = 20)]
        runs: usize,
    },
}

#[tokio::main]
async fn main() -> ExitCode {
    // Quiet unless asked: `RUST_LOG=sqlx::query=debug` lists every statement a run makes, which
    // is how a change in statements per message shows up before it shows in the figures.
    if let Ok(filter) = tracing_subscriber::EnvFilter::try_from_env("RUST_LOG") {
        tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_writer(std::io::stderr)
            .init();
    }
    let command = Cli::parse().command;
    let result = match command {
        BenchCommand::Dispatch {
            backend,
            smsc,
            messages,
            timeline,
            window,
            connections,
        } => {
            server::bench::dispatch(server::bench::DispatchArgs {
                backend,
                smsc: (smsc != "simulator").then_some(smsc),
                messages,
                timeline,
                window,
                connections: usize::from(connections),
            })
            .await
        }
        BenchCommand::Prepare { database_url } => server::bench::prepare(&database_url).await,
        BenchCommand::CheckLedger { database_url } => {
            server::bench::check_ledger(&database_url).await
        }
        BenchCommand::Results {
            backend,
            messages,
            runs,
        } => server::bench::results(backend, messages, runs).await,
    };
    match result {
        Ok(line) => {
            println!("{line}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("ferry-bench: {e}");
            ExitCode::FAILURE
        }
    }
}
