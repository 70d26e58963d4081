//! Ferry's configuration: built-in defaults, then an optional TOML file, then `FERRY_*`
//! environment variables (nested keys with `__`, e.g. `FERRY_LOGIN_THROTTLE__MAX_FAILURES_PER_IP`).
//! `DATABASE_URL` is honoured too, as most tooling expects it.

use figment::providers::{Env, Format, Serialized, Toml};
use figment::Figment;
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct Config {
    /// Where the portal listens.
    pub listen: SocketAddr,
    /// Where Ferry keeps its SQLite file and uploads.
    pub data_dir: PathBuf,
    /// `sqlite://...` or `postgres://...`; defaults to `<data_dir>/ferry.db`.
    pub database_url: Option<String>,
    /// The built browser half (WASM, JS, CSS) as produced by `scripts/build.sh`.
    pub site_dir: PathBuf,
    /// Marks the session cookie `Secure`; set it when Ferry is served over HTTPS.
    pub secure_cookies: bool,
    /// Reverse proxies (addresses or CIDRs) whose `X-Forwarded-For` is believed. The client is
    /// the rightmost address in the header that is not one of them; from anyone else the
    /// header is ignored. Empty: the header is never used.
    pub trusted_proxies: Vec<String>,
    pub session_ttl_minutes: u64,
    pub login_throttle: LoginThrottle,
    /// The China signature (3–6 Chinese/English characters) for accounts without their own.
    pub default_china_signature: String,
    /// `tracing` filter, e.g. `info` or `ferry=debug,sqlx=warn`.
    pub log: String,
    pub dispatcher: DispatcherSettings,
    /// The built-in SMSC simulator (real SMPP on loopback), started in-process by default.
    pub simulator: SimulatorSettings,
    /// Operators' SMSC connections (`[[smsc]]` tables). Empty: every route goes to the simulator.
    pub smsc: Vec<SmscSettings>,
    pub retention: RetentionSettings,
}

/// How long delivery records are kept (§9). Ledger entries are always kept.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct RetentionSettings {
    pub enabled: bool,
    /// Messages final for longer than this many calendar months are deleted.
    pub months: u32,
    /// How often the job runs (it also runs at start).
    pub interval_hours: u64,
}

impl Default for RetentionSettings {
    fn default() -> Self {
        RetentionSettings {
            enabled: true,
            months: 2,
            interval_hours: 24,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct DispatcherSettings {
    pub enabled: bool,
    pub workers: usize,
    /// Messages claimed at a time by one worker.
    pub claim_batch: i64,
}

impl Default for DispatcherSettings {
    fn default() -> Self {
        DispatcherSettings {
            enabled: true,
            workers: 2,
            claim_batch: 200,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct SimulatorSettings {
    pub enabled: bool,
    /// Port 0 picks a free one.
    pub listen: SocketAddr,
    pub receipt_delay_ms: u64,
    pub retry_delay_ms: u64,
    /// Relative weights of the outcomes it reports.
    pub outcomes: OutcomeMix,
    /// Share of submits refused, 0–100 (for tests).
    pub reject_percent: u8,
    /// Drop every connection this many ms after it opens; 0 never (for tests).
    pub drop_every_ms: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct OutcomeMix {
    pub delivered: u32,
    pub handset_off_then_delivered: u32,
    pub handset_off_then_expired: u32,
    pub unknown_subscriber: u32,
    pub blocked_as_spam: u32,
}

impl Default for OutcomeMix {
    fn default() -> Self {
        OutcomeMix {
            delivered: 94,
            handset_off_then_delivered: 3,
            handset_off_then_expired: 1,
            unknown_subscriber: 1,
            blocked_as_spam: 1,
        }
    }
}

impl Default for SimulatorSettings {
    fn default() -> Self {
        SimulatorSettings {
            enabled: true,
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            receipt_delay_ms: 1_000,
            retry_delay_ms: 3_000,
            outcomes: OutcomeMix::default(),
            reject_percent: 0,
            drop_every_ms: 0,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct SmscSettings {
    pub name: String,
    /// `host:port`.
    pub address: String,
    pub system_id: String,
    pub password: String,
    /// Routes this connection serves (HK_BUSINESS, HK_ECONOMIC, CHINA, INTERNATIONAL); empty: all.
    pub routes: Vec<String>,
    /// submit_sm outstanding at once.
    pub window: usize,
    /// Per-connection throughput limit; 0 = none.
    pub max_per_second: f64,
    /// How this operator's receipt ids relate to its submit_sm_resp ids (§14).
    pub msg_id_matching: String,
}

impl Default for SmscSettings {
    fn default() -> Self {
        SmscSettings {
            name: "smsc".into(),
            address: "127.0.0.1:2775".into(),
            system_id: String::new(),
            password: String::new(),
            routes: Vec::new(),
            window: 100,
            max_per_second: 0.0,
            msg_id_matching: "auto".into(),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct LoginThrottle {
    /// Failed sign-ins per login from one address per window (four times as many per day).
    pub max_failures_per_account: i64,
    /// Failed sign-ins from one address (IPv6: one /64) across all logins per window.
    pub max_failures_per_ip: i64,
    /// Failed sign-ins per login per hour from addresses that never signed in to it (its
    /// owner's known and allow-listed addresses are never locked out by them).
    pub max_failures_per_login: i64,
    pub window_minutes: u64,
    /// Sign-ups from one address per hour.
    pub max_signups_per_ip_per_hour: i64,
}

impl Default for LoginThrottle {
    fn default() -> Self {
        LoginThrottle {
            max_failures_per_account: 5,
            max_failures_per_ip: 20,
            max_failures_per_login: 50,
            window_minutes: 15,
            max_signups_per_ip_per_hour: 10,
        }
    }
}

impl Default for Config {
    fn default() -> Self {
        Config {
            listen: SocketAddr::from(([127, 0, 0, 1], 3000)),
            data_dir: PathBuf::from("data"),
            database_url: None,
            site_dir: PathBuf::from("site"),
            secure_cookies: false,
            trusted_proxies: Vec::new(),
            session_ttl_minutes: 12 * 60,
            login_throttle: LoginThrottle::default(),
            default_china_signature: "Ferry".into(),
            log: "info".into(),
            dispatcher: DispatcherSettings::default(),
            simulator: SimulatorSettings::default(),
            smsc: Vec::new(),
            retention: RetentionSettings::default(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("configuration file {0} does not exist")]
    MissingFile(PathBuf),
    #[error("invalid configuration: {0}")]
    Invalid(#[from] Box<figment::Error>),
    #[error("invalid default_china_signature {value:?}: {reason}")]
    ChinaSignature { value: String, reason: String },
    #[error("invalid trusted_proxies: {0}")]
    TrustedProxies(String),
}

impl Config {
    /// Loads the configuration. An explicitly named file must exist; `ferry.toml` in the
    /// working directory is read when present.
    pub fn load(file: Option<&Path>) -> Result<Config, ConfigError> {
        let mut figment = Figment::from(Serialized::defaults(Config::default()));
        match file {
            Some(path) if !path.exists() => return Err(ConfigError::MissingFile(path.into())),
            Some(path) => figment = figment.merge(Toml::file(path)),
            None => figment = figment.merge(Toml::file("ferry.toml")),
        }
        figment = figment.merge(Env::raw().only(&["DATABASE_URL"])).merge(
            Env::prefixed("FERRY_")
                .split("__")
                .ignore(&["CONFIG", "TEST_PG_URL", "REQUIRE_PG"]),
        );
        let config: Config = figment
            .extract()
            .map_err(|e| ConfigError::Invalid(Box::new(e)))?;
        config.trusted_proxies()?;
        if let Err(e) = sms::ChinaSignature::parse(&config.default_china_signature) {
            return Err(ConfigError::ChinaSignature {
                value: config.default_china_signature,
                reason: e.to_string(),
            });
        }
        Ok(config)
    }

    pub fn database_url(&self) -> String {
        match &self.database_url {
            Some(url) if !url.is_empty() => url.clone(),
            _ => format!("sqlite://{}", self.data_dir.join("ferry.db").display()),
        }
    }

    /// This configuration with every secret replaced by `***` (SMSC passwords, the database
    /// password), for printing.
    pub fn redacted(&self) -> Config {
        let mut c = self.clone();
        if let Some(url) = &c.database_url {
            c.database_url = Some(redact_url(url));
        }
        for smsc in &mut c.smsc {
            if !smsc.password.is_empty() {
                smsc.password = "***".into();
            }
        }
        c
    }

    /// The trusted reverse proxies as a list of networks.
    pub fn trusted_proxies(&self) -> Result<engine::settings::IpAllowList, ConfigError> {
        engine::settings::IpAllowList::parse(&self.trusted_proxies.join("\n"))
            .map_err(|problems| ConfigError::TrustedProxies(problems.join("; ")))
    }

    pub fn auth_settings(&self) -> app::auth::context::AuthSettings {
        app::auth::context::AuthSettings {
            session_ttl: Duration::from_secs(self.session_ttl_minutes * 60),
            secure_cookies: self.secure_cookies,
            max_failures_per_account: self.login_throttle.max_failures_per_account,
            max_failures_per_ip: self.login_throttle.max_failures_per_ip,
            max_failures_per_login: self.login_throttle.max_failures_per_login,
            throttle_window: Duration::from_secs(self.login_throttle.window_minutes * 60),
            max_signups_per_ip_per_hour: self.login_throttle.max_signups_per_ip_per_hour,
        }
    }
}

/// A database URL with its password replaced by `***`.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let creds = &url[scheme + 3..at];
            match creds.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme + 3], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

#[cfg(test)]
// figment's Jail API fixes the closure's error type; its size is not ours to choose.
#[allow(clippy::result_large_err)]
mod tests {
    use super::*;

    #[test]
    fn defaults_start_on_loopback_with_sqlite_in_the_data_dir() {
        figment::Jail::expect_with(|_jail| {
            let c = Config::load(None).expect("defaults");
            assert_eq!(c.listen.to_string(), "127.0.0.1:3000");
            assert_eq!(c.database_url(), "sqlite://data/ferry.db");
            Ok(())
        });
    }

    #[test]
    fn file_then_environment_override_defaults() {
        figment::Jail::expect_with(|jail| {
            jail.create_file(
                "custom.toml",
                "listen = \"0.0.0.0:8080\"\n[login_throttle]\nmax_failures_per_ip = 9\n",
            )?;
            jail.set_env("FERRY_LISTEN", "127.0.0.1:4000");
            jail.set_env("DATABASE_URL", "postgres://u@localhost/ferry");
            let c = Config::load(Some(Path::new("custom.toml"))).expect("load");
            assert_eq!(c.listen.to_string(), "127.0.0.1:4000");
            assert_eq!(c.login_throttle.max_failures_per_ip, 9);
            assert_eq!(c.login_throttle.max_failures_per_account, 5);
            assert_eq!(c.database_url(), "postgres://u@localhost/ferry");
            Ok(())
        });
    }

    #[test]
    fn printed_configuration_hides_smsc_and_database_passwords() {
        let mut c = Config {
            database_url: Some("postgres://ferry:s3cret@db.example/ferry".into()),
            ..Config::default()
        };
        c.smsc.push(SmscSettings {
            password: "operator-secret".into(),
            ..SmscSettings::default()
        });
        let printed = format!("{:#?}", c.redacted());
        assert!(!printed.contains("s3cret") && !printed.contains("operator-secret"));
        assert!(printed.contains("postgres://ferry:***@db.example/ferry"));
    }

    #[test]
    fn a_named_file_that_does_not_exist_is_an_error() {
        let err = Config::load(Some(Path::new("/nonexistent/ferry.toml"))).expect_err("missing");
        assert!(err.to_string().contains("does not exist"));
    }
}
