//! `ferry`: the command line. Each subcommand is a thin call into the library.

use clap::{Parser, Subcommand};
use server::config::{Config, LogFormat};
use server::StartError;
use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

/// Every request, PDU and row allocates: glibc's allocator took about a seventh of the process's
/// CPU on the sending path (arena locks shared by the runtime's workers, the writer's thread and
/// SQLite; consolidation of freed chunks). mimalloc's per-thread free lists take a fraction of
/// that (measured in BENCHMARKS.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

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
    /// Copy the SQLite database, while Ferry runs, into the new file FILE, and check the copy
    /// (integrity, and every balance equal to its ledger entries). For PostgreSQL it prints the
    /// `pg_dump` command to use instead.
    Backup {
        /// The backup to write; must not exist yet.
        file: PathBuf,
    },
    /// Replace the SQLite database with the backup FILE, after checking it. Ferry must be
    /// stopped. The database it replaces is kept beside it as `<name>.before-restore-<ms>`.
    Restore {
        /// A file written by `ferry backup`.
        file: PathBuf,
    },
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
    init_tracing(&config.log, config.log_format);
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
            Command::Backup { file } => {
                let url = config.database_url();
                if !url.starts_with("sqlite:") {
                    return Err(engine::backup::BackupError::Postgres.into());
                }
                let db = engine::db::Db::connect(&url).await?;
                let summary = engine::backup::backup(&db, &file).await;
                db.close().await;
                println!("ferry: backed up to {}: {}", file.display(), summary?);
                Ok(())
            }
            Command::Restore { file } => {
                let url = config.database_url();
                let Some(target) = engine::db::sqlite_path(&url) else {
                    return Err(engine::backup::BackupError::Postgres.into());
                };
                let (summary, kept) = engine::backup::restore(&file, &target).await?;
                if let Some(kept) = kept {
                    println!(
                        "ferry: the database it replaced is kept as {}",
                        kept.display()
                    );
                }
                println!(
                    "ferry: restored {} from {}: {summary}",
                    target.display(),
                    file.display()
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
    // Held until Ferry stops: `ferry restore` refuses to swap the file while it is taken.
    let _lock = match engine::db::sqlite_path(&config.database_url()) {
        Some(path) => Some(engine::backup::DatabaseLock::shared(&path)?),
        None => None,
    };
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
    let links = state.links.clone();
    let router = server::http::router(&config, state);
    let delivery = server::delivery::start(&config, db.clone()).await?;
    if let Some(dispatcher) = &delivery.dispatcher {
        server::metrics::metrics().set_dispatcher(dispatcher.links());
        let _ = links.set(dispatcher.links());
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
    let tls = match config.tls.files().map_err(StartError::Config)? {
        Some((cert, key)) => Some(server::tls::acceptor(cert, key, server::listener::ALPN)?),
        None => None,
    };
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .map_err(|source| StartError::Listen {
            addr: config.listen,
            source,
        })?;
    let addr = listener.local_addr().map_err(StartError::Serve)?;
    let trusted_proxies = config.trusted_proxies().map_err(StartError::Config)?;
    let redirect = match (config.tls.redirect_listen, &tls) {
        (Some(plain), Some(_)) => {
            let plain_listener = tokio::net::TcpListener::bind(plain)
                .await
                .map_err(|source| StartError::Listen {
                    addr: plain,
                    source,
                })?;
            let plain = plain_listener.local_addr().map_err(StartError::Serve)?;
            println!("Redirecting http://{plain} to HTTPS");
            let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
            let task = tokio::spawn(server::listener::serve(
                plain_listener,
                server::http::https_redirect(addr.port()),
                trusted_proxies.clone(),
                None,
                async move {
                    let _ = stopped.await;
                },
            ));
            Some((stop, task))
        }
        (Some(_), None) => {
            tracing::warn!("[tls] redirect_listen is set without a certificate; not started");
            None
        }
        _ => None,
    };
    if let Some(smtp) = &smtp {
        println!("Email API (SMTP) listening on {}", smtp.addr);
    }
    if let Some((addr, _)) = &simulator_control {
        println!("Simulator control listening on http://{addr} (POST /replies)");
    }
    let scheme = if tls.is_some() { "https" } else { "http" };
    println!(
        "Ferry is running at {scheme}://{addr} (database: {})",
        server::config::redact_url(&config.database_url())
    );
    let _ = std::io::stdout().flush();
    server::listener::serve(listener, router, trusted_proxies, tls, shutdown_signal())
        .await
        .map_err(StartError::Serve)?;
    if let Some((stop, task)) = redirect {
        let _ = stop.send(());
        let _ = task.await;
    }
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

fn init_tracing(filter: &str, format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("RUST_LOG")
        .or_else(|_| tracing_subscriber::EnvFilter::try_new(filter))
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let logs = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Text => logs.init(),
        // One object per line: timestamp, level, target, the event's fields and its spans.
        LogFormat::Json => logs.json().with_current_span(true).init(),
    }
}
