//! `ferry`: the command line. Each subcommand is a thin call into the library.

use clap::{Parser, Subcommand};
use server::config::Config;
use server::StartError;
use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "ferry",
    version,
    about = "Ferry: a self-hostable bulk-SMS gateway with a customer portal",
    long_about = "Ferry: a self-hostable bulk-SMS gateway with a customer portal.\n\n\
        Configuration comes from built-in defaults, then a TOML file (--config, or ./ferry.toml \
        when present), then FERRY_* environment variables (nested keys joined with __) and \
        DATABASE_URL. SQLite is the default store; a postgres:// URL selects PostgreSQL."
)]
struct Cli {
    /// TOML configuration file.
    #[arg(long, global = true, env = "FERRY_CONFIG")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Apply migrations, create the first staff login if none exists, and serve the portal.
    Serve {
        /// Listen address, overriding the configuration (e.g. 127.0.0.1:3000).
        #[arg(long)]
        listen: Option<SocketAddr>,
    },
    /// Apply database migrations and exit.
    Migrate,
    /// Run the built-in SMSC simulator on its own (real SMPP 3.4 on loopback), with the
    /// `[simulator]` settings of the configuration.
    Simulator {
        /// Listen address, e.g. 127.0.0.1:2775.
        #[arg(long, default_value = "127.0.0.1:2775")]
        listen: SocketAddr,
    },
    /// Count encoding, units and parts for JSON lines on stdin, one JSON line out per line in:
    /// `{"route":"HK"|"CN","text":"..."}` → `{"encoding":"GSM7"|"UCS2","units":N,"parts":N|null,"error":null|"..."}`.
    /// The same rules as the composer and the dispatcher (the `sms` crate).
    Preview,
    /// Print the effective configuration (after file and environment overrides) as TOML-like
    /// debug output.
    Config,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Command::Preview = cli.command {
        // Pure and offline: no configuration, database or runtime needed.
        return preview_stdin();
    }
    let config = match Config::load(cli.config.as_deref()) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("ferry: {e}");
            return ExitCode::from(2);
        }
    };
    init_tracing(&config.log);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("ferry: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async move {
        match cli.command {
            Command::Serve { listen } => {
                let mut config = config;
                if let Some(listen) = listen {
                    config.listen = listen;
                }
                serve(config).await
            }
            Command::Migrate => {
                let db = server::open_database(&config).await?;
                db.close().await;
                println!(
                    "ferry: database at {} is up to date",
                    server::config::redact_url(&config.database_url())
                );
                Ok(())
            }
            Command::Preview => Ok(()),
            Command::Simulator { listen } => {
                let mut settings = config.simulator.clone();
                settings.listen = listen;
                let sim_config = server::delivery::simulator_config(&settings);
                let simulator = smpp::Simulator::start(sim_config).await.map_err(|e| {
                    StartError::Delivery(server::delivery::DeliveryStartError::Simulator(
                        e.to_string(),
                    ))
                })?;
                println!(
                    "Ferry SMSC simulator listening on {} (any system_id/password)",
                    simulator.addr
                );
                if let Some(addr) = settings.control_listen {
                    let (addr, _) = server::simulator_control::start(addr, simulator.clone())
                        .await
                        .map_err(|source| StartError::Listen { addr, source })?;
                    println!("Simulator control listening on http://{addr} (POST /replies)");
                }
                let _ = std::io::stdout().flush();
                shutdown_signal().await;
                simulator.shutdown();
                Ok(())
            }
            Command::Config => {
                // Secrets stay out of terminals, logs and support tickets.
                println!("{:#?}", config.redacted());
                Ok(())
            }
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("ferry: {e}");
            ExitCode::FAILURE
        }
    }
}

fn preview_stdin() -> ExitCode {
    use std::io::BufRead;
    let stdin = std::io::stdin();
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    for line in stdin.lock().lines() {
        let line = match line {
            Ok(l) => l,
            Err(e) => {
                eprintln!("ferry preview: cannot read standard input: {e}");
                return ExitCode::FAILURE;
            }
        };
        if line.trim().is_empty() {
            continue;
        }
        if writeln!(out, "{}", sms::preview::preview_line(&line)).is_err() {
            return ExitCode::FAILURE;
        }
    }
    if out.flush().is_err() {
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}

async fn serve(config: Config) -> Result<(), StartError> {
    let db = server::open_database(&config).await?;
    if let Some((login, password)) = engine::auth::accounts::ensure_first_staff(&db)
        .await
        .map_err(StartError::Staff)?
    {
        // Printed once, on the first start only: the password is not stored anywhere readable.
        let mut out = std::io::stdout().lock();
        let _ = writeln!(
            out,
            "------------------------------------------------------------"
        );
        let _ = writeln!(
            out,
            "First start: a staff login was created for the admin console."
        );
        let _ = writeln!(out, "  staff login:    {login}");
        let _ = writeln!(out, "  staff password: {password}");
        let _ = writeln!(
            out,
            "This password is shown only once. Keep it somewhere safe."
        );
        let _ = writeln!(
            out,
            "------------------------------------------------------------"
        );
        let _ = out.flush();
    }
    let state = server::server_state(&config, db.clone());
    let smtp = server::smtp::start(&config, state.clone()).await?;
    let router = server::http::router(&config, state);
    let delivery = server::delivery::start(&config, db.clone()).await?;
    if let Some(dispatcher) = &delivery.dispatcher {
        server::metrics::metrics().set_dispatcher(dispatcher.probe());
    }
    let simulator_control = match (&delivery.simulator, config.simulator.control_listen) {
        (Some(simulator), Some(addr)) => Some(
            server::simulator_control::start(addr, simulator.clone())
                .await
                .map_err(|source| StartError::Listen { addr, source })?,
        ),
        _ => None,
    };
    let callbacks = match config.callbacks.enabled {
        true => Some(server::callbacks::start(&config.callbacks, db.clone())?),
        false => None,
    };
    let retention = config.retention.enabled.then(|| {
        tokio::spawn(engine::retention::run_daily(
            db.clone(),
            config.retention.months,
            std::time::Duration::from_secs(config.retention.interval_hours.max(1) * 3600),
        ))
    });
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .map_err(|source| StartError::Listen {
            addr: config.listen,
            source,
        })?;
    let addr = listener.local_addr().map_err(StartError::Serve)?;
    if let Some(smtp) = &smtp {
        println!("Email API (SMTP) listening on {}", smtp.addr);
    }
    if let Some((addr, _)) = &simulator_control {
        println!("Simulator control listening on http://{addr} (POST /replies)");
    }
    println!(
        "Ferry is running at http://{addr} (database: {})",
        server::config::redact_url(&config.database_url())
    );
    let _ = std::io::stdout().flush();
    server::listener::serve(
        listener,
        router,
        config.trusted_proxies().map_err(StartError::Config)?,
        shutdown_signal(),
    )
    .await
    .map_err(StartError::Serve)?;
    if let Some(job) = retention {
        job.abort();
    }
    if let Some(smtp) = smtp {
        smtp.shutdown();
    }
    if let Some((_, task)) = simulator_control {
        task.abort();
    }
    if let Some(sender) = callbacks {
        sender.shutdown().await;
    }
    delivery.shutdown().await;
    db.close().await;
    tracing::info!("stopped");
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
}

fn init_tracing(filter: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("RUST_LOG")
        .or_else(|_| tracing_subscriber::EnvFilter::try_new(filter))
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
}
