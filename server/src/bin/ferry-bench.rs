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
    /// The peer benchmark's load on Ferry: N `POST /api/v1/messages` with an API key, one
    /// message each, until the counting SMSC has every submit and every receipt's
    /// acknowledgement (bench/ferry/run.sh). Exits non-zero if the run was incomplete.
    LoadFerry {
        /// Ferry's base URL, http://IP:PORT.
        #[arg(long)]
        url: String,
        #[arg(long)]
        api_key: String,
        /// The counting SMSC's control URL, http://IP:PORT.
        #[arg(long)]
        smsc_control: String,
        #[arg(long, default_value = "FerryBench")]
        sender_id: String,
        #[arg(long, default_value = "hk_business")]
        route: String,
        #[command(flatten)]
        load: LoadArgs,
    },
    /// The same load on Kannel: N `GET /cgi-bin/sendsms` with a `dlr-url` on a sink this
    /// command serves, until every final delivery report has arrived (bench/kannel/run.sh).
    LoadKannel {
        /// Kannel's sendsms URL, http://IP:PORT/cgi-bin/sendsms.
        #[arg(long)]
        sendsms: String,
        #[arg(long)]
        user: String,
        #[arg(long)]
        pass: String,
        #[arg(long, default_value = "12345")]
        from: String,
        #[arg(long, default_value_t = 31)]
        dlr_mask: u32,
        #[command(flatten)]
        load: LoadArgs,
    },
}

/// What both loads share (see server/src/bench/load.rs).
#[derive(clap::Args)]
struct LoadArgs {
    /// Requests, one message each.
    #[arg(short = 'n', default_value_t = 10_000)]
    n: u64,
    /// Requests in flight, each on its own keep-alive connection.
    #[arg(short = 'c', default_value_t = 100, value_parser = clap::value_parser!(u16).range(1..))]
    c: u16,
    /// Message i goes to this number + i.
    #[arg(long, default_value_t = 85_261_000_000)]
    to_base: u64,
    /// Seconds to wait for the receipts after the last answer.
    #[arg(long, default_value_t = 600)]
    timeout_s: u64,
    /// Connections opening (not yet answered) at once.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u16).range(1..))]
    connect_burst: u16,
}

impl LoadArgs {
    fn load(&self) -> server::bench::load::Load {
        server::bench::load::Load {
            n: self.n,
            c: usize::from(self.c),
            to_base: self.to_base,
            timeout: std::time::Duration::from_secs(self.timeout_s),
            connect_burst: usize::from(self.connect_burst),
        }
    }
}

fn main() -> ExitCode {
    let command = Cli::parse().command;
    let runtime = match command {
        // One thread, as the JavaScript load generators had: what it costs is what the
        // gateway under test does not get of the machine's two cores.
        BenchCommand::LoadFerry { .. } | BenchCommand::LoadKannel { .. } => {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
        }
        _ => tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build(),
    };
    match runtime {
        Ok(runtime) => runtime.block_on(run(command)),
        Err(e) => {
            eprintln!("ferry-bench: cannot start the runtime: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Prints a load's JSON line; exits non-zero when it was incomplete.
fn load_result(result: Result<(serde_json::Value, bool), server::bench::BenchError>) -> ExitCode {
    match result {
        Ok((line, complete)) => {
            println!("{line}");
            if complete {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            }
        }
        Err(e) => {
            eprintln!("ferry-bench: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run(command: BenchCommand) -> ExitCode {
    // Quiet unless asked: `RUST_LOG=sqlx::query=debug` lists every statement a run makes, which
    // is how a change in statements per message shows up before it shows in the figures.
    if let Ok(filter) = tracing_subscriber::EnvFilter::try_from_env("RUST_LOG") {
        tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_writer(std::io::stderr)
            .init();
    }
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
        BenchCommand::LoadFerry {
            url,
            api_key,
            smsc_control,
            sender_id,
            route,
            load,
        } => {
            return load_result(
                server::bench::load::ferry(server::bench::load::FerryLoad {
                    load: load.load(),
                    url,
                    api_key,
                    smsc_control,
                    sender_id,
                    route,
                })
                .await,
            )
        }
        BenchCommand::LoadKannel {
            sendsms,
            user,
            pass,
            from,
            dlr_mask,
            load,
        } => {
            return load_result(
                server::bench::load::kannel(server::bench::load::KannelLoad {
                    load: load.load(),
                    sendsms,
                    user,
                    pass,
                    from,
                    dlr_mask,
                })
                .await,
            )
        }
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
