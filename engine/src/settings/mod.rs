//! Account settings (§2): validity period, single-SMS charge limit, IP allow-list, unsubscribe
//! hotline, 2-way callback URL, default country code: their rules and storage.

use crate::error::{Error, FieldErrors};
use serde::{Deserialize, Serialize};
use sms::Money;
use std::net::IpAddr;

pub const MIN_VALIDITY_MINUTES: i64 = 10;
pub const MAX_VALIDITY_MINUTES: i64 = 1380;
pub const DEFAULT_VALIDITY_MINUTES: i64 = 120;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountSettings {
    pub validity_minutes: i64,
    pub single_sms_limit: Option<Money>,
    /// One CIDR or address per line; empty means any address may sign in.
    pub ip_allow_list: String,
    pub unsubscribe_hotline: String,
    pub callback_url: String,
    /// Where delivery statuses of every batch are POSTed unless a request names its own (§11).
    pub status_callback_url: String,
    /// The country code for numbers typed or imported without one (§6).
    pub default_country_code: u16,
}

/// A parsed IP allow-list. An empty list allows every address.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct IpAllowList(Vec<ipnet::IpNet>);

impl IpAllowList {
    /// Parses one entry per line (commas and spaces also separate); a bare address is a /32 or
    /// /128. Every bad entry is reported with its position.
    pub fn parse(input: &str) -> Result<IpAllowList, Vec<String>> {
        let mut nets = Vec::new();
        let mut problems = Vec::new();
        for (i, entry) in input
            .split(|c: char| c == '\n' || c == ',' || c.is_whitespace())
            .filter(|e| !e.trim().is_empty())
            .enumerate()
        {
            let entry = entry.trim();
            match entry.parse::<ipnet::IpNet>() {
                Ok(net) => nets.push(net.trunc()),
                Err(_) => match entry.parse::<IpAddr>() {
                    Ok(ip) => nets.push(ipnet::IpNet::from(ip)),
                    Err(_) => problems.push(format!(
                        "entry {} \"{entry}\" is not an IPv4/IPv6 address or CIDR such as 203.0.113.0/24",
                        i + 1
                    )),
                },
            }
        }
        if problems.is_empty() {
            Ok(IpAllowList(nets))
        } else {
            Err(problems)
        }
    }

    pub fn allows(&self, ip: IpAddr) -> bool {
        let ip = match ip {
            IpAddr::V6(v6) => v6
                .to_ipv4_mapped()
                .map(IpAddr::V4)
                .unwrap_or(IpAddr::V6(v6)),
            v4 => v4,
        };
        self.0.is_empty() || self.0.iter().any(|net| net.contains(&ip))
    }

    /// Whether `ip` is on the list; an empty list contains nothing (unlike [`Self::allows`]).
    pub fn contains(&self, ip: IpAddr) -> bool {
        !self.0.is_empty() && self.allows(ip)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn to_text(&self) -> String {
        self.0
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("\n")
    }
}

/// Validates settings as typed; every rejected field says why. (Whether a country code is
/// known is checked on the server, which has the numbering plans.)
pub fn validate(
    validity_minutes: &str,
    single_sms_limit: &str,
    ip_allow_list: &str,
    unsubscribe_hotline: &str,
    callback_url: &str,
    status_callback_url: &str,
    default_country_code: &str,
) -> Result<AccountSettings, Error> {
    let mut errors = FieldErrors::default();
    let country_code = match default_country_code.trim().trim_start_matches('+') {
        "" => sms::msisdn::HONG_KONG_CODE,
        code => match code.parse::<u16>() {
            Ok(c) if (1..=999).contains(&c) => c,
            _ => {
                errors.add(
                    "default_country_code",
                    "Enter a country code as 1 to 3 digits, e.g. 852.",
                );
                sms::msisdn::HONG_KONG_CODE
            }
        },
    };
    let validity = match validity_minutes.trim().parse::<i64>() {
        Ok(v) if (MIN_VALIDITY_MINUTES..=MAX_VALIDITY_MINUTES).contains(&v) => v,
        _ => {
            errors.add(
                "validity_minutes",
                format!("Enter whole minutes from {MIN_VALIDITY_MINUTES} to {MAX_VALIDITY_MINUTES} (23 hours)."),
            );
            DEFAULT_VALIDITY_MINUTES
        }
    };
    let limit = if single_sms_limit.trim().is_empty() {
        None
    } else {
        match Money::parse_hkd(single_sms_limit) {
            Ok(m) if m.minor() > 0 => Some(m),
            Ok(_) => {
                errors.add(
                    "single_sms_limit",
                    "The limit must be more than zero, or leave it empty for no limit.",
                );
                None
            }
            Err(e) => {
                errors.add("single_sms_limit", format!("Limit: {e}."));
                None
            }
        }
    };
    let allow = match IpAllowList::parse(ip_allow_list) {
        Ok(list) => list.to_text(),
        Err(problems) => {
            errors.add(
                "ip_allow_list",
                format!("IP allow-list: {}.", problems.join("; ")),
            );
            String::new()
        }
    };
    let hotline: String = unsubscribe_hotline
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    if !hotline.is_empty()
        && (!hotline.chars().all(|c| c.is_ascii_digit()) || !(8..=15).contains(&hotline.len()))
    {
        errors.add(
            "unsubscribe_hotline",
            "Enter the hotline as 8 to 15 digits, e.g. 21234567.",
        );
    }
    let mut url = |field: &str, input: &str| match input.trim() {
        "" => String::new(),
        typed => crate::callbacks::CallbackUrl::parse(typed)
            .map(|u| u.as_str().to_string())
            .unwrap_or_else(|problem| {
                errors.add(field, problem);
                String::new()
            }),
    };
    let callback = url("callback_url", callback_url);
    let status_callback = url("status_callback_url", status_callback_url);
    errors.into_result()?;
    Ok(AccountSettings {
        validity_minutes: validity,
        single_sms_limit: limit,
        ip_allow_list: allow,
        unsubscribe_hotline: hotline,
        callback_url: callback,
        status_callback_url: status_callback,
        default_country_code: country_code,
    })
}

#[cfg(feature = "storage")]
pub mod store {
    use super::*;
    use crate::db::Db;
    use serde_json::json;

    #[derive(sqlx::FromRow)]
    struct SettingsRow {
        validity_minutes: i64,
        single_sms_limit_minor: Option<i64>,
        ip_allow_list: String,
        unsubscribe_hotline: String,
        callback_url: String,
        status_callback_url: String,
        default_country_code: i64,
    }

    impl crate::reader::NativeRow for SettingsRow {
        fn from_native(row: &rusqlite::Row<'_>) -> rusqlite::Result<Self> {
            Ok(SettingsRow {
                validity_minutes: row.get(0)?,
                single_sms_limit_minor: row.get(1)?,
                ip_allow_list: row.get(2)?,
                unsubscribe_hotline: row.get(3)?,
                callback_url: row.get(4)?,
                status_callback_url: row.get(5)?,
                default_country_code: row.get(6)?,
            })
        }
    }

    impl From<SettingsRow> for AccountSettings {
        fn from(r: SettingsRow) -> Self {
            AccountSettings {
                validity_minutes: r.validity_minutes,
                single_sms_limit: r.single_sms_limit_minor.map(Money::from_minor),
                ip_allow_list: r.ip_allow_list,
                unsubscribe_hotline: r.unsubscribe_hotline,
                callback_url: r.callback_url,
                status_callback_url: r.status_callback_url,
                default_country_code: u16::try_from(r.default_country_code)
                    .unwrap_or(sms::msisdn::HONG_KONG_CODE),
            }
        }
    }

    pub async fn load(db: &Db, account_id: i64) -> Result<AccountSettings, Error> {
        const SQL: &str = "SELECT validity_minutes, single_sms_limit_minor, ip_allow_list, unsubscribe_hotline, callback_url, status_callback_url, default_country_code \
             FROM accounts WHERE id = $1";
        let row: SettingsRow = crate::reader::fetch_optional(db, SQL, account_id)
            .await?
            .ok_or(Error::NotFound)?;
        Ok(row.into())
    }

    /// Saves `account_id`'s settings, changed from `caller_ip`: a list that would lock that
    /// address out is refused.
    pub async fn update(
        db: &Db,
        account_id: i64,
        caller_ip: IpAddr,
        settings: AccountSettings,
    ) -> Result<(), Error> {
        // An unparsable list must not be stored: sign-in reads it as empty, i.e. open to all.
        let list = IpAllowList::parse(&settings.ip_allow_list).map_err(|problems| {
            Error::field(
                "ip_allow_list",
                format!("IP allow-list: {}.", problems.join("; ")),
            )
        })?;
        if !list.allows(caller_ip) {
            return Err(Error::field(
                "ip_allow_list",
                format!(
                    "This list would lock you out: your current address {} is not in it.",
                    caller_ip
                ),
            ));
        }
        if !sms::msisdn::is_known_country_code(settings.default_country_code) {
            return Err(Error::field(
                "default_country_code",
                format!("+{} is not a country code.", settings.default_country_code),
            ));
        }
        sqlx::query(
            "UPDATE accounts SET validity_minutes = $1, single_sms_limit_minor = $2, ip_allow_list = $3, \
             unsubscribe_hotline = $4, callback_url = $5, status_callback_url = $6, default_country_code = $7 WHERE id = $8",
        )
        .bind(settings.validity_minutes)
        .bind(settings.single_sms_limit.map(Money::minor))
        .bind(&settings.ip_allow_list)
        .bind(&settings.unsubscribe_hotline)
        .bind(&settings.callback_url)
        .bind(&settings.status_callback_url)
        .bind(i64::from(settings.default_country_code))
        .bind(account_id)
        .execute(db.pool())
        .await?;
        Ok(())
    }

    /// Staff clear a customer's allow-list (a customer who locked themselves out), audited.
    pub async fn clear_ip_allow_list(db: &Db, staff_id: i64, account_id: i64) -> Result<(), Error> {
        let mut tx = db.begin_write().await?;
        let before: Option<String> =
            sqlx::query_scalar("SELECT ip_allow_list FROM accounts WHERE id = $1")
                .bind(account_id)
                .fetch_optional(&mut *tx)
                .await?;
        let Some(before) = before else {
            return Err(Error::NotFound);
        };
        sqlx::query("UPDATE accounts SET ip_allow_list = '' WHERE id = $1")
            .bind(account_id)
            .execute(&mut *tx)
            .await?;
        crate::audit::record(
            &mut tx,
            staff_id,
            "account.clear_ip_allow_list",
            Some(account_id),
            json!({ "ip_allow_list": before }),
            json!({ "ip_allow_list": "" }),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allow_list_parses_addresses_and_cidrs_and_reports_bad_entries() {
        let list =
            IpAllowList::parse("203.0.113.0/24\n2001:db8::/32, 198.51.100.7").expect("valid");
        assert!(list.allows("203.0.113.99".parse().expect("ip")));
        assert!(list.allows("2001:db8::1".parse().expect("ip")));
        assert!(list.allows("198.51.100.7".parse().expect("ip")));
        assert!(
            list.allows("::ffff:203.0.113.5".parse().expect("ip")),
            "IPv4-mapped IPv6"
        );
        assert!(!list.allows("198.51.100.8".parse().expect("ip")));
        assert!(IpAllowList::parse("")
            .expect("empty")
            .allows("192.0.2.1".parse().expect("ip")));
        let err = IpAllowList::parse("10.0.0.0/8\nnonsense\n300.1.1.1").expect_err("bad");
        assert_eq!(err.len(), 2);
        assert!(err[0].contains("entry 2 \"nonsense\""));
    }

    #[test]
    fn settings_enforce_the_validity_window_and_report_each_field() {
        assert_eq!(
            validate("10", "", "", "", "", "", "").map(|s| s.default_country_code),
            Ok(852),
            "an empty country code is Hong Kong's"
        );
        assert_eq!(
            validate(
                "1380",
                "0.50",
                "",
                "2123 4567",
                "https://example.com/hook",
                "https://example.com/status",
                "+86"
            )
            .map(|s| s.default_country_code),
            Ok(86)
        );
        let err =
            validate("9", "-1", "x", "12", "ftp://x", "https:// x", "8520").expect_err("invalid");
        for field in [
            "validity_minutes",
            "single_sms_limit",
            "ip_allow_list",
            "unsubscribe_hotline",
            "callback_url",
            "status_callback_url",
            "default_country_code",
        ] {
            assert!(err.message_for(field).is_some(), "{field}");
        }
        assert!(validate("1381", "", "", "", "", "", "").is_err());
    }
}

#[cfg(all(test, feature = "storage"))]
mod store_tests;
