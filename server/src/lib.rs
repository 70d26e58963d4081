//! The `ferry` server: configuration, start-up and the HTTP stack. `main.rs` is only the CLI.

pub mod api;
#[cfg(feature = "bench")]
pub mod bench;
pub mod callbacks;
pub mod config;
pub mod delivery;
pub mod http;
pub mod listener;
pub mod metrics;
pub mod simulator_control;
pub mod smtp;
pub mod soap;
pub mod tls;

/// Entry points for the fuzz targets in `fuzz/` (see `fuzz/README.md`): the pure halves of the
/// JSON API, SOAP and SMTP doors, reachable without a database. Not an API.
#[doc(hidden)]
pub mod fuzzing {
    pub use crate::api::send::read_send_body as api_send_body;
    pub use crate::smtp::{converse_offline as smtp_conversation, read_mail as smtp_mail};
    pub use crate::soap::{is_accepted_xml as soap_is_accepted_xml, read_request as soap_request};
}

use app::auth::context::ServerState;
use config::Config;
use engine::db::Db;

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Config(#[from] config::ConfigError),
    #[error(transparent)]
    Db(#[from] engine::db::DbError),
    #[error("cannot create the first staff account: {0}")]
    Staff(engine::Error),
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        addr: std::net::SocketAddr,
        source: std::io::Error,
    },
    #[error("server error: {0}")]
    Serve(std::io::Error),
    #[error(transparent)]
    Delivery(#[from] delivery::DeliveryStartError),
    #[error(transparent)]
    Callbacks(#[from] callbacks::ClientError),
    #[error(transparent)]
    Smtp(#[from] smtp::SmtpStartError),
    #[error(transparent)]
    Backup(#[from] engine::backup::BackupError),
    #[error("the HTTPS certificate: {0}")]
    Tls(#[from] tls::TlsError),
}

/// Connects to the configured database and brings its schema up to date.
pub async fn open_database(config: &Config) -> Result<Db, StartError> {
    let db = Db::connect(&config.database_url()).await?;
    db.migrate().await?;
    Ok(db)
}

/// The state every request sees. Starts the background writers (access log, batch intake) on
/// the current Tokio runtime.
pub fn server_state(config: &Config, db: Db) -> ServerState {
    ServerState {
        access_log: app::auth::access_log::AccessLog::start(db.clone()),
        batches: engine::delivery::store::BatchWriter::start(db.clone()),
        live_streams: Default::default(),
        links: Default::default(),
        smscs_in_file: config.smsc.iter().map(|s| s.name.clone()).collect(),
        db,
        auth: config.auth_settings(),
        portal: app::auth::context::PortalSettings {
            default_china_signature: config.default_china_signature.clone(),
        },
    }
}
