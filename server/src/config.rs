//! Ferry's configuration: built-in defaults, then an optional TOML file, then `FERRY_*`
//! environment variables (nested keys with `__`, e.g. `FERRY_LOGIN_THROTTLE__MAX_FAILURES_PER_IP`).
//! `DATABASE_URL` is honoured too, as most tooling expects it.

use figment::providers::{Env, Format, Serialized, Toml};
use figment::Figment;
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Declares a configuration section: the struct, each field with its default beside it, and
/// the `Default` built from them (a default is written once, next to what it sets). Every
/// section reads missing keys from its defaults.
macro_rules! config_section {
    (
        $(#[$meta:meta])*
        pub struct $name:ident {
            $($(#[$field_meta:meta])* pub $field:ident: $ty:ty = $default:expr,)*
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
        #[serde(default)]
        pub struct $name {
            $($(#[$field_meta])* pub $field: $ty,)*
        }

        impl Default for $name {
            fn default() -> Self {
                $name {
                    $($field: $default,)*
                }
            }
        }
    };
}

config_section! {
    pub struct Config {
        /// Where the portal listens.
        pub listen: SocketAddr = SocketAddr::from(([127, 0, 0, 1], 3000)),
        /// Where Ferry keeps its SQLite file and uploads.
        pub data_dir: PathBuf = PathBuf::from("data"),
        /// `sqlite://...` or `postgres://...`; defaults to `<data_dir>/ferry.db`.
        pub database_url: Option<String> = None,
        /// The built browser half (WASM, JS, CSS) as produced by `scripts/build.sh`.
        pub site_dir: PathBuf = PathBuf::from("site"),
        /// Marks the session cookie `Secure`; set it when a proxy in front of Ferry terminates
        /// HTTPS. With `[tls]` set it is on whatever this says.
        pub secure_cookies: bool = false,
        /// Reverse proxies (addresses or CIDRs) whose `X-Forwarded-For` is believed. The client is
        /// the rightmost address in the header that is not one of them; from anyone else the
        /// header is ignored. Empty: the header is never used.
        pub trusted_proxies: Vec<String> = Vec::new(),
        pub session_ttl_minutes: u64 = 12 * 60,
        pub login_throttle: LoginThrottle = LoginThrottle::default(),
        /// The China signature (3–6 Chinese/English characters) for accounts without their own.
        pub default_china_signature: String = "Ferry".into(),
        /// `tracing` filter, e.g. `info` or `ferry=debug,sqlx=warn`.
        pub log: String = "info".into(),
        /// `text` (human-readable lines) or `json` (one JSON object per line, for a log
        /// collector).
        pub log_format: LogFormat = LogFormat::Text,
        /// HTTPS for the portal and the API (and STARTTLS for the email API).
        pub tls: TlsSettings = TlsSettings::default(),
        pub dispatcher: DispatcherSettings = DispatcherSettings::default(),
        /// The HTTP API (`/api/v1`).
        pub api: ApiSettings = ApiSettings::default(),
        /// The built-in SMSC simulator (real SMPP on loopback), started in-process by default.
        pub simulator: SimulatorSettings = SimulatorSettings::default(),
        /// Operators' SMSC connections (`[[smsc]]` tables). Empty: every route goes to the simulator.
        pub smsc: Vec<SmscSettings> = Vec::new(),
        pub retention: RetentionSettings = RetentionSettings::default(),
        /// Delivery-status callbacks (§11).
        pub callbacks: CallbackSettings = CallbackSettings::default(),
        /// The email API (§11): an SMTP listener, off unless `listen` is set.
        pub smtp: SmtpSettings = SmtpSettings::default(),
        /// Replies (two-way SMS, §10).
        pub two_way: TwoWayConfig = TwoWayConfig::default(),
        /// `/metrics` (Prometheus).
        pub metrics: MetricsSettings = MetricsSettings::default(),
    }
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Text,
    Json,
}

config_section! {
    /// HTTPS. With `cert` and `key` set, `listen` speaks only HTTPS (HTTP/1.1 and HTTP/2),
    /// session cookies are `Secure`, every response carries `Strict-Transport-Security`, and
    /// the email API offers STARTTLS with the same certificate unless `[smtp]` names its own.
    pub struct TlsSettings {
        /// PEM certificate chain (leaf first).
        pub cert: Option<PathBuf> = None,
        /// PEM private key (PKCS#8, PKCS#1 or SEC1).
        pub key: Option<PathBuf> = None,
        /// A plain-HTTP listener (e.g. `"0.0.0.0:80"`) that answers every request with a
        /// permanent redirect to the same path over HTTPS. Unset: none.
        pub redirect_listen: Option<SocketAddr> = None,
        /// `Strict-Transport-Security: max-age` in seconds (one year by default).
        pub hsts_max_age_s: u64 = 31_536_000,
    }
}

impl TlsSettings {
    /// The certificate and key when HTTPS is configured; an error when only one is set.
    pub fn files(&self) -> Result<Option<(&Path, &Path)>, ConfigError> {
        match (&self.cert, &self.key) {
            (None, None) => Ok(None),
            (Some(cert), Some(key)) => Ok(Some((cert, key))),
            _ => Err(ConfigError::HalfTls("tls")),
        }
    }
}

config_section! {
    /// Who may read `/metrics`.
    pub struct MetricsSettings {
        /// Addresses or CIDRs (IPv4 or IPv6) allowed to read `/metrics`.
        pub allow: Vec<String> = vec!["127.0.0.1/32".into(), "::1/128".into()],
    }
}

config_section! {
    /// How replies (MO messages) are handled.
    pub struct TwoWayConfig {
        /// A reply that is one of these (any case, punctuation around it ignored) puts its
        /// sender on the account's opt-out list.
        pub stop_words: Vec<String> = vec!["STOP".into(), "T".into(), "退訂".into()],
        /// Seconds the parts of a long reply wait for the rest before it is kept without them.
        pub part_timeout_s: u64 = 300,
        /// The same reply (sender, number, bytes) again within this many seconds is the SMSC
        /// delivering it again: counted on the first, not stored twice.
        pub duplicate_window_s: u64 = 600,
    }
}

impl TwoWayConfig {
    pub fn settings(&self) -> engine::two_way::TwoWaySettings {
        let ms = |s: u64| i64::try_from(s.saturating_mul(1_000)).unwrap_or(i64::MAX);
        engine::two_way::TwoWaySettings {
            stop_words: self.stop_words.clone(),
            part_timeout_ms: ms(self.part_timeout_s),
            duplicate_window_ms: ms(self.duplicate_window_s),
        }
    }
}

config_section! {
    /// The email API's SMTP listener (README, "Email API").
    pub struct SmtpSettings {
        /// Where it listens, e.g. `"0.0.0.0:2525"`; unset: no SMTP listener.
        pub listen: Option<SocketAddr> = None,
        /// The name it greets with.
        pub hostname: String = "ferry.localhost".into(),
        /// PEM certificate chain and private key: with both, STARTTLS is offered and required
        /// before AUTH (the API key is the password) or a mail carrying its key.
        pub tls_cert: Option<PathBuf> = None,
        pub tls_key: Option<PathBuf> = None,
        /// The largest mail taken (a 50,000-number bulk mail is about 1 MB).
        pub max_message_bytes: usize = 4 * 1024 * 1024,
        /// Connections served at once; more wait for a free one.
        pub max_connections: usize = 64,
        /// Seconds a connection may wait between commands (RFC 5321 §4.5.3.2 suggests 5 min).
        pub idle_timeout_s: u64 = 300,
        /// `host:port` of a mail server that delivers Ferry's answers (the batch and message
        /// ids, or why a mail was refused) to each mail's sender; unset: answers are given in
        /// the SMTP conversation only.
        pub reply_relay: Option<String> = None,
        /// The address answers come from.
        pub reply_from: String = "ferry@ferry.localhost".into(),
    }
}

config_section! {
    /// Sending delivery-status callbacks: how often and how long failed ones are retried.
    pub struct CallbackSettings {
        pub enabled: bool = true,
        /// The first retry comes this long after a failure; each next one twice as long…
        pub first_retry_ms: u64 = 10_000,
        /// …but never more than this apart…
        pub max_retry_ms: u64 = 3_600_000,
        /// …until this long after the message became final.
        pub give_up_after_hours: u64 = 24,
        /// A receiver that has not answered within this long has failed the attempt.
        pub timeout_ms: u64 = 10_000,
        /// Callbacks sent at the same time, per process.
        pub concurrency: usize = 16,
        /// How often the outbox is checked when idle.
        pub poll_ms: u64 = 500,
        /// Callback URLs are customers' input: by default Ferry only connects to public
        /// addresses, never to its own host or network (loopback, private, link-local, …).
        /// Set for a test installation whose receivers run on the same machine.
        pub allow_private_targets: bool = false,
    }
}

config_section! {
    /// How long delivery records are kept (§9). Ledger entries are always kept.
    pub struct RetentionSettings {
        pub enabled: bool = true,
        /// Messages final for longer than this many calendar months are deleted.
        pub months: u32 = 2,
        /// How often the job runs (it also runs at start).
        pub interval_hours: u64 = 24,
    }
}

config_section! {
    /// Limits of the HTTP API, per API key and process.
    pub struct ApiSettings {
        /// Requests a key may make per second, sustained…
        pub requests_per_second: u32 = 100,
        /// …and in a burst.
        pub burst: u32 = 200,
    }
}

config_section! {
    pub struct DispatcherSettings {
        pub enabled: bool = true,
        pub workers: usize = 2,
        /// Messages claimed at a time by one worker.
        pub claim_batch: i64 = 200,
    }
}

config_section! {
    pub struct SimulatorSettings {
        pub enabled: bool = true,
        /// Port 0 picks a free one.
        pub listen: SocketAddr = SocketAddr::from(([127, 0, 0, 1], 0)),
        pub receipt_delay_ms: u64 = 1_000,
        pub retry_delay_ms: u64 = 3_000,
        /// Relative weights of the outcomes it reports.
        pub outcomes: OutcomeMix = OutcomeMix::default(),
        /// Share of submits refused, 0–100 (for tests).
        pub reject_percent: u8 = 0,
        /// Drop every connection this many ms after it opens; 0 never (for tests).
        pub drop_every_ms: u64 = 0,
        /// Where its control endpoint listens (`POST /replies` makes it send a reply to
        /// Ferry); unset: none. Keep it on loopback.
        pub control_listen: Option<SocketAddr> = None,
    }
}

config_section! {
    pub struct OutcomeMix {
        pub delivered: u32 = 94,
        pub handset_off_then_delivered: u32 = 3,
        pub handset_off_then_expired: u32 = 1,
        pub unknown_subscriber: u32 = 1,
        pub blocked_as_spam: u32 = 1,
    }
}

config_section! {
    pub struct SmscSettings {
        pub name: String = "smsc".into(),
        /// `host:port`.
        pub address: String = "127.0.0.1:2775".into(),
        pub system_id: String = String::new(),
        pub password: String = String::new(),
        /// Routes this connection serves (HK_BUSINESS, HK_ECONOMIC, CHINA, INTERNATIONAL); empty: all.
        pub routes: Vec<String> = Vec::new(),
        /// submit_sm outstanding at once.
        pub window: usize = 100,
        /// Per-connection throughput limit; 0 = none.
        pub max_per_second: f64 = 0.0,
        /// Among the connections serving a route, the bound ones with the lowest number take
        /// its messages (spread across equals); a higher number is a fallback used while
        /// every better one is down, and left again as soon as one is back.
        pub priority: u32 = 1,
        /// How this operator's receipt ids relate to its submit_sm_resp ids (§14).
        pub msg_id_matching: String = "auto".into(),
    }
}

config_section! {
    pub struct LoginThrottle {
        /// Failed sign-ins per login from one address per window (four times as many per day).
        pub max_failures_per_account: i64 = 5,
        /// Failed sign-ins from one address (IPv6: one /64) across all logins per window.
        pub max_failures_per_ip: i64 = 20,
        /// Failed sign-ins per login per hour from addresses that never signed in to it (its
        /// owner's known and allow-listed addresses are never locked out by them).
        pub max_failures_per_login: i64 = 50,
        pub window_minutes: u64 = 15,
        /// Sign-ups from one address per hour.
        pub max_signups_per_ip_per_hour: i64 = 10,
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
    #[error("invalid metrics.allow: {0}")]
    MetricsAllow(String),
    #[error("[{0}] cert and key go together: set both or neither")]
    HalfTls(&'static str),
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
        config.metrics_allow()?;
        config.tls.files()?;
        config.smtp_tls_files()?;
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

    pub fn metrics_allow(&self) -> Result<engine::settings::IpAllowList, ConfigError> {
        engine::settings::IpAllowList::parse(&self.metrics.allow.join("\n"))
            .map_err(|problems| ConfigError::MetricsAllow(problems.join("; ")))
    }

    /// The certificate the email API's STARTTLS uses: `[smtp]`'s own, else `[tls]`'s.
    pub fn smtp_tls_files(&self) -> Result<Option<(&Path, &Path)>, ConfigError> {
        match (&self.smtp.tls_cert, &self.smtp.tls_key) {
            (None, None) => self.tls.files(),
            (Some(cert), Some(key)) => Ok(Some((cert, key))),
            _ => Err(ConfigError::HalfTls("smtp")),
        }
    }

    pub fn auth_settings(&self) -> app::auth::context::AuthSettings {
        app::auth::context::AuthSettings {
            session_ttl: Duration::from_secs(self.session_ttl_minutes * 60),
            secure_cookies: self.secure_cookies || self.tls.cert.is_some(),
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
    fn tls_turns_on_secure_cookies_and_lends_smtp_its_certificate() {
        figment::Jail::expect_with(|jail| {
            jail.create_file(
                "ferry.toml",
                "log_format = \"json\"\n[tls]\ncert = \"c.pem\"\nkey = \"k.pem\"\n",
            )?;
            let c = Config::load(None).expect("config");
            assert_eq!(c.log_format, LogFormat::Json);
            assert!(c.auth_settings().secure_cookies);
            let (cert, key) = c.smtp_tls_files().expect("valid").expect("set");
            assert_eq!((cert, key), (Path::new("c.pem"), Path::new("k.pem")));

            jail.create_file(
                "ferry.toml",
                "[tls]\ncert = \"c.pem\"\n[smtp]\ntls_cert = \"s.pem\"\ntls_key = \"t.pem\"\n",
            )?;
            let err = Config::load(None).expect_err("a certificate without its key");
            assert_eq!(
                err.to_string(),
                "[tls] cert and key go together: set both or neither"
            );
            Ok(())
        });
    }

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
