//! The server side of the composer: its setup data and the authoritative recomputation, and
//! the submission that stores a batch with every row of the customer's list.

pub use super::rows::{count_rows, validate_rows, RecipientRows, RefusedRow};
use super::{
    compose, hk_choice, hk_route, quote, BroadcastCheck, ComposerSetup, Composition, Purpose,
};
use crate::auth::AccountStatus;
use crate::db::Db;
use crate::delivery::store::{BatchError, BatchWriter, NewBatch, Recipient, Unsent};
use crate::error::{Error, FieldErrors};
use crate::pricing::store::current as current_prices;
use sms::{ChinaSignature, HkRouteChoice, KeywordSet, Money, Route};
use std::collections::HashMap;

/// Pasted lists are bounded like uploads (§6: 50,000 numbers).
pub const MAX_RECIPIENTS: usize = 50_000;
/// Rows a pasted list may have before anything is parsed: the number limit with room for
/// duplicates and mistakes.
pub const MAX_RECIPIENT_ROWS: usize = 2 * MAX_RECIPIENTS;
/// Refused rows echoed back in a check; the count covers them all.
pub const MAX_ECHOED_REJECTED_ROWS: usize = 1_000;

/// The China keyword matcher, built once per keyword list (building it for 10,000 keywords
/// takes ~14 ms; reading the list is one query).
async fn keyword_set(db: &Db) -> Result<std::sync::Arc<KeywordSet>, Error> {
    use std::hash::{Hash, Hasher};
    use std::sync::{Arc, Mutex, OnceLock};
    /// The last list's fingerprint and its matcher.
    type Cached = Option<(u64, Arc<KeywordSet>)>;
    static CACHE: OnceLock<Mutex<Cached>> = OnceLock::new();
    let keywords = china_keywords(db).await?;
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    keywords.hash(&mut hasher);
    let fingerprint = hasher.finish();
    let cache = CACHE.get_or_init(|| Mutex::new(None));
    if let Some((f, set)) = cache
        .lock()
        .map_err(|_| Error::internal("keywords", "cache poisoned"))?
        .as_ref()
    {
        if *f == fingerprint {
            return Ok(set.clone());
        }
    }
    let set = Arc::new(KeywordSet::new(&keywords).map_err(|e| Error::internal("keywords", e))?);
    *cache
        .lock()
        .map_err(|_| Error::internal("keywords", "cache poisoned"))? =
        Some((fingerprint, set.clone()));
    Ok(set)
}

/// The China keywords `text` contains, by today's keyword list.
pub async fn china_keywords_in(db: &Db, text: &str) -> Result<Vec<String>, Error> {
    Ok(keyword_set(db)
        .await?
        .find_all(text)
        .into_iter()
        .map(|m| m.keyword)
        .collect())
}

async fn china_keywords(db: &Db) -> Result<Vec<String>, Error> {
    Ok(
        sqlx::query_scalar("SELECT keyword FROM china_keywords ORDER BY keyword")
            .fetch_all(db.pool())
            .await?,
    )
}

struct AccountFacts {
    status: AccountStatus,
    mobile: String,
    balance: Money,
    /// The account's approved custom China signature, if any.
    china_signature: Option<String>,
    default_country_code: u16,
    /// The account's settings a send takes when the request names none.
    defaults: SendDefaults,
}

/// What a send takes from the account's settings when the request names none (read with the
/// account's other facts: one read of its row, not two).
#[derive(Debug, Clone)]
pub struct SendDefaults {
    pub validity_minutes: i64,
    /// Empty when the account has none.
    pub status_callback_url: String,
}

#[derive(sqlx::FromRow)]
struct AccountFactsRow {
    status: String,
    mobile: String,
    balance_minor: i64,
    china_signature: Option<String>,
    default_country_code: i64,
    validity_minutes: i64,
    status_callback_url: String,
}

impl crate::reader::NativeRow for AccountFactsRow {
    fn from_native(row: &rusqlite::Row<'_>) -> rusqlite::Result<Self> {
        Ok(AccountFactsRow {
            status: row.get(0)?,
            mobile: row.get(1)?,
            balance_minor: row.get(2)?,
            china_signature: row.get(3)?,
            default_country_code: row.get(4)?,
            validity_minutes: row.get(5)?,
            status_callback_url: row.get(6)?,
        })
    }
}

/// The longest list parsed on the caller's thread: a request's numbers, each at most 64 bytes.
const INLINE_LIST_BYTES: usize = 64 * crate::reader::INLINE_ROWS;

async fn account_facts(db: &Db, account_id: i64) -> Result<AccountFacts, Error> {
    const SQL: &str =
        "SELECT status, mobile, balance_minor, china_signature, default_country_code, \
        validity_minutes, status_callback_url FROM accounts WHERE id = $1";
    let row: AccountFactsRow = crate::reader::fetch_optional(db, SQL, account_id)
        .await?
        .ok_or(Error::NotFound)?;
    Ok(AccountFacts {
        status: AccountStatus::parse(&row.status)
            .ok_or_else(|| Error::internal("account status", row.status))?,
        mobile: row.mobile,
        balance: Money::from_minor(row.balance_minor),
        china_signature: row.china_signature,
        default_country_code: u16::try_from(row.default_country_code)
            .unwrap_or(sms::msisdn::HONG_KONG_CODE),
        defaults: SendDefaults {
            validity_minutes: row.validity_minutes,
            status_callback_url: row.status_callback_url,
        },
    })
}

/// The signature the China gateway prepends for this account: its approved one, else the
/// installation's default.
fn china_signature(sender: &Sender<'_>, facts: &AccountFacts) -> Result<ChinaSignature, Error> {
    let text = facts
        .china_signature
        .as_deref()
        .unwrap_or(sender.default_china_signature);
    ChinaSignature::parse(text).map_err(|e| Error::internal("China signature", e))
}

/// Who sends, and the installation's facts a check needs.
pub struct Sender<'a> {
    pub db: &'a Db,
    pub account_id: i64,
    /// The China signature of accounts without an approved one of their own.
    pub default_china_signature: &'a str,
}

/// What the composer needs once, when the page loads.
pub async fn setup(sender: &Sender<'_>) -> Result<ComposerSetup, Error> {
    let db = sender.db;
    let facts = account_facts(db, sender.account_id).await?;
    Ok(ComposerSetup {
        prices: current_prices(db, crate::db::now_ms()).await?,
        china_keywords: china_keywords(db).await?,
        china_signature: china_signature(sender, &facts)?.as_str().to_string(),
        has_custom_china_signature: facts.china_signature.is_some(),
        sender_ids: crate::sender_ids::store::list(db, sender.account_id, true)
            .await?
            .into_iter()
            .map(|s| s.sender_id)
            .collect(),
        balance: facts.balance,
        is_trial: facts.status == AccountStatus::Trial,
        registered_mobile: facts.mobile,
        default_country_code: facts.default_country_code,
        unsubscribe_hotline: crate::settings::store::load(db, sender.account_id)
            .await?
            .unsubscribe_hotline,
    })
}

pub use super::Submission;

pub async fn check(sender: &Sender<'_>, submission: Submission) -> Result<BroadcastCheck, Error> {
    Ok(check_and_price(sender, &submission).await?.check)
}

/// The server's verdict with what a batch stores: each number to send with its route, parts
/// and unit price, and every row that will not be sent with its reason.
pub struct Priced {
    pub check: BroadcastCheck,
    pub choice: HkRouteChoice,
    pub composition: Composition,
    pub recipients: Vec<Recipient>,
    pub unsent: Vec<Unsent>,
    pub defaults: SendDefaults,
}

/// The too-long message for a text on `table` (§4, §14: Ferry never cuts).
fn too_long_message(t: &sms::TooLong, whose: &str) -> String {
    format!(
        "The message is too long{whose}: {} characters, at most {} fit in {} parts. Remove {} characters; Ferry never cuts a message.",
        t.units,
        t.limit,
        t.max_parts,
        t.units - t.limit
    )
}

/// The server's check, plus each valid recipient with its route and price (what a batch
/// stores).
pub async fn check_and_price(
    sender: &Sender<'_>,
    submission: &Submission,
) -> Result<Priced, Error> {
    let Submission {
        route,
        purpose,
        ref text,
        ref recipients,
        client,
        filter_dnc,
        default_country_code,
    } = *submission;
    let (db, account_id) = (sender.db, sender.account_id);
    let facts = account_facts(db, account_id).await?;
    if facts.status == AccountStatus::Staff {
        return Err(Error::Forbidden);
    }
    if facts.status == AccountStatus::Trial
        && crate::auth::verify::pending_mobile(db, account_id)
            .await?
            .is_some()
    {
        return Err(Error::ForbiddenBecause(
            "Verify your registered mobile number first: enter the 8-digit code we sent by SMS on your Account page.".into(),
        ));
    }
    let choice = hk_choice(route).ok_or_else(|| {
        Error::field(
            "route",
            "Choose HK Business or HK Economic for Hong Kong numbers; mainland and other numbers take the China and International routes by themselves.",
        )
    })?;
    let default_country_code = default_country_code.unwrap_or(facts.default_country_code);
    if !sms::msisdn::is_known_country_code(default_country_code) {
        return Err(Error::field(
            "default_country_code",
            format!("{default_country_code} is not a country code."),
        ));
    }
    let signature = china_signature(sender, &facts)?;
    let composition = compose(text, Some(&signature));
    let mut errors = FieldErrors::default();

    if text.trim().is_empty() {
        errors.add("message", "Write the message to send.");
    } else if let Some(t) = composition.standard.segmentation.too_long {
        errors.add("message", too_long_message(&t, ""));
    }

    let prices = current_prices(db, crate::db::now_ms()).await?;
    let rows = count_rows(recipients);
    let parsed = if rows > MAX_RECIPIENT_ROWS {
        // Refused before a single number is parsed: a list this long is never a batch.
        errors.add(
            "recipients",
            format!(
                "{rows} rows is more than a batch can take: at most {MAX_RECIPIENTS} numbers. Split the list into smaller batches."
            ),
        );
        RecipientRows::default()
    } else {
        let trial_mobile = (facts.status == AccountStatus::Trial).then(|| facts.mobile.clone());
        if rows <= crate::reader::INLINE_ROWS && recipients.len() <= INLINE_LIST_BYTES {
            // An API request's few numbers parse in microseconds, less than a hand-off.
            validate_rows(
                recipients,
                choice,
                default_country_code,
                trial_mobile.as_deref(),
            )
        } else {
            let list = recipients.clone();
            // libphonenumber's rules are CPU work: keep a list's off the async workers.
            tokio::task::spawn_blocking(move || {
                validate_rows(&list, choice, default_country_code, trial_mobile.as_deref())
            })
            .await
            .map_err(|e| Error::internal("recipients", e))?
        }
    };
    let (rejected, rejected_total) = parsed.rejected_echo();
    if rows > MAX_RECIPIENT_ROWS {
        // Already refused above.
    } else if parsed.valid.len() > MAX_RECIPIENTS {
        errors.add(
            "recipients",
            format!(
                "{} numbers is more than the {MAX_RECIPIENTS} one batch can take.",
                parsed.valid.len()
            ),
        );
    } else if parsed.valid.is_empty() {
        errors.add(
            "recipients",
            if rejected.is_empty() {
                "Enter at least one recipient number.".to_string()
            } else {
                let listed: Vec<String> = rejected
                    .iter()
                    .take(5)
                    .map(|r| format!("row {} ({}): {}", r.row, r.input, r.reason))
                    .collect();
                format!(
                    "None of the {} numbers can be sent to. {}{}.",
                    rejected_total,
                    listed.join("; "),
                    if rejected_total > 5 { "; …" } else { "" }
                )
            },
        );
    }

    // The China rules apply when the list has mainland numbers (§5).
    let has_china = parsed.valid.iter().any(|(_, r)| *r == Route::China);
    if has_china && !text.trim().is_empty() {
        if let Some(t) = composition.china.segmentation.too_long {
            errors.add(
                "message",
                too_long_message(&t, " for the mainland numbers (with the signature)"),
            );
        }
        let found = china_keywords_in(db, text).await?;
        if !found.is_empty() {
            errors.add(
                "message",
                format!(
                    "China operators refuse messages containing: {}. Remove {}, or remove the mainland numbers from the list.",
                    found.join(", "),
                    if found.len() == 1 { "it" } else { "them" }
                ),
            );
        }
        match (purpose, &facts.china_signature) {
            (Some(Purpose::Promotion), None) => errors.add(
                "purpose",
                "Without an approved custom China signature only notification messages may be sent to mainland numbers.",
            ),
            (None, None) => errors.add(
                "purpose",
                "Declare whether this is a notification or a promotion: mainland numbers need it.",
            ),
            _ => {}
        }
    }
    errors.into_result()?;

    let parts = composition
        .standard
        .segmentation
        .parts_or_err()
        .map_err(|e| Error::field("message", e.to_string()))?;
    let hk = hk_route(choice);
    let unit_price = prices.base_price(hk).ok_or_else(|| {
        Error::Conflict(format!(
            "{} has no price yet; ask the Ferry operator.",
            hk.label()
        ))
    })?;
    let china_parts = composition.china.parts();
    if let Some(client) = client.filter(|client| {
        client.encoding != composition.standard.segmentation.encoding
            || client.parts != parts
            || client.unit_price != unit_price
            || (has_china && client.china_parts.is_some_and(|p| Some(p) != china_parts))
    }) {
        tracing::warn!(?client, %parts, %unit_price, "composer figures disagree with the server");
        return Err(Error::Conflict(format!(
            "The page showed {} part(s) at {} each in {}, but Ferry counts {} part(s) at {} in {}. Reload the page and check the message again.",
            client.parts,
            client.unit_price,
            client.encoding,
            parts,
            unit_price,
            composition.standard.segmentation.encoding
        )));
    }
    // The do-not-call filter runs on valid numbers only: a refused row stays refused for its
    // own reason, and a filtered number is neither sent nor charged.
    let numbers: Vec<String> = parsed
        .valid
        .iter()
        .map(|(n, _)| n.as_str().to_string())
        .collect();
    let (kept, dnc_filtered) = if filter_dnc {
        crate::dnc::store::filter(db, account_id, &numbers).await?
    } else {
        (numbers, Vec::new())
    };
    // A number that replied STOP is never sent to, whatever the do-not-call choice (§10).
    let (kept, opted_out) = crate::two_way::store::split_opted_out(db, account_id, kept).await?;
    if kept.is_empty() {
        return Err(Error::field(
            "recipients",
            format!(
                "All {} numbers are left out ({} on the do-not-call register without consent, {} opted out by replying STOP): there is nothing to send.",
                dnc_filtered.len() + opted_out.len(),
                dnc_filtered.len(),
                opted_out.len()
            ),
        ));
    }
    let route_of: HashMap<&str, Route> =
        parsed.valid.iter().map(|(n, r)| (n.as_str(), *r)).collect();
    let mut priced = Vec::with_capacity(kept.len());
    for number in &kept {
        let route = route_of.get(number.as_str()).copied().unwrap_or(hk);
        let price = prices
            .unit_price(route, number)
            .or_else(|| prices.base_price(route))
            .ok_or_else(|| {
                Error::Conflict(format!(
                    "{} has no price yet, and the list has {} numbers on it; ask the Ferry operator, or remove them.",
                    route.label(),
                    route.label()
                ))
            })?;
        let parts = composition
            .for_route(route)
            .parts()
            .ok_or_else(|| Error::internal("quote", "parts of a checked text"))?;
        priced.push(Recipient {
            number: number.clone(),
            route,
            parts,
            unit_price: price,
        });
    }
    let (routes, total) = quote(
        priced.iter().map(|r| (r.route, r.number.as_str())),
        choice,
        &composition,
        &prices,
    );
    let total = total.ok_or_else(|| Error::internal("quote", "overflow"))?;
    let shortfall = total.checked_sub(facts.balance).filter(|s| s.minor() > 0);
    let duplicates_removed = parsed.duplicates();
    let mut unsent: Vec<Unsent> = parsed
        .refused
        .into_iter()
        .map(RefusedRow::into_unsent)
        .collect();
    unsent.extend(dnc_filtered.iter().cloned().map(Unsent::do_not_call));
    unsent.extend(opted_out.iter().cloned().map(Unsent::opted_out));
    Ok(Priced {
        check: BroadcastCheck {
            encoding: composition.standard.segmentation.encoding,
            units: composition.standard.segmentation.units,
            parts,
            final_text: composition.standard.text.clone(),
            china_text: has_china.then(|| composition.china.text.clone()),
            recipients: priced.len() as u64,
            duplicates_removed,
            dnc_filtered: dnc_filtered.len() as u64,
            opted_out: opted_out.len() as u64,
            rejected,
            rejected_total,
            unit_price,
            routes,
            total,
            balance: facts.balance,
            shortfall,
        },
        choice,
        composition,
        recipients: priced,
        unsent,
        defaults: facts.defaults,
    })
}

/// Submits a broadcast (see [`submit_checked`]) and returns the batch id.
pub async fn submit(
    sender: &Sender<'_>,
    batches: &BatchWriter,
    submission: Submission,
    sender_id: &str,
    schedule_at: &str,
) -> Result<i64, Error> {
    let options = SendOptions {
        sender_id,
        schedule_at,
        ..SendOptions::default()
    };
    Ok(submit_checked(sender, batches, submission, &options)
        .await?
        .batch_id)
}

/// How a batch is sent: from which sender ID, when (`YYYY-MM-DD HH:MM` Hong Kong time, empty
/// for now), for how long the operator keeps trying, and where final statuses are POSTed (the
/// account's settings when `None`).
#[derive(Debug, Clone, Copy, Default)]
pub struct SendOptions<'a> {
    pub sender_id: &'a str,
    pub schedule_at: &'a str,
    pub validity_minutes: Option<i64>,
    pub callback_url: Option<&'a str>,
    /// The idempotency claim the request holds, stored with the batch.
    pub idempotency_ref: Option<&'a str>,
    /// How many of the stored batch's messages to answer with ([`Submitted::messages`]).
    pub answer_messages: usize,
}

/// A stored batch and the server's figures for it.
#[derive(Debug, Clone)]
pub struct Submitted {
    pub batch_id: i64,
    pub check: BroadcastCheck,
    /// When the batch goes out (ms); `None` for now.
    pub scheduled_at: Option<i64>,
    /// Its first [`SendOptions::answer_messages`] messages in id order, as stored.
    pub messages: Vec<crate::delivery::MessageRow>,
}

/// Submits a broadcast: the same check, then the batch stored in one transaction before the
/// answer (§7), with every row of the list: the numbers to send, and the refused, repeated and
/// do-not-call rows in their final status with their reasons.
pub async fn submit_checked(
    sender: &Sender<'_>,
    batches: &BatchWriter,
    submission: Submission,
    options: &SendOptions<'_>,
) -> Result<Submitted, Error> {
    let SendOptions {
        sender_id,
        schedule_at,
        validity_minutes,
        callback_url,
        idempotency_ref,
        answer_messages,
    } = *options;
    let (db, account_id) = (sender.db, sender.account_id);
    // The checks read the account, its prices, opt-outs and sender IDs: on SQLite in one read
    // transaction, ended before the batch is written.
    let checks = async {
        let priced = check_and_price(sender, &submission).await?;
        // A sender ID is shown on HK Business and International; a list of only HK Economic
        // and mainland numbers needs none.
        let mine = if priced.recipients.iter().any(|r| r.route.allows_sender_id()) {
            Some(crate::sender_ids::store::list(db, account_id, true).await?)
        } else {
            None
        };
        Ok::<_, Error>((priced, mine))
    };
    let (
        Priced {
            check,
            choice,
            composition,
            recipients,
            unsent,
            defaults,
        },
        mine,
    ) = match db.native_reads() {
        Some(readers) => readers.snapshot(checks).await?,
        None => checks.await?,
    };
    let mut errors = FieldErrors::default();
    let sender_id = match mine {
        Some(mine) => {
            let needs = recipients
                .iter()
                .find(|r| r.route.allows_sender_id())
                .map(|r| r.route.label())
                .unwrap_or_default();
            if mine.is_empty() {
                errors.add("sender_id", format!("Numbers on the {needs} route show a sender ID, and this account has none yet. Ask the Ferry operator to create one, or use HK Economic for Hong Kong numbers."));
                None
            } else if let Some(s) = mine.into_iter().find(|s| s.sender_id == sender_id.trim()) {
                Some(s.sender_id)
            } else {
                errors.add("sender_id", "Choose one of your sender IDs.");
                None
            }
        }
        None => None,
    };
    let now = crate::db::now_ms();
    let scheduled_at = match schedule_at.trim() {
        "" => None,
        s => match parse_hkt_datetime(s) {
            Some(t) if t > now + crate::delivery::MAX_SCHEDULE_AHEAD_MS => {
                errors.add(
                    "schedule_at",
                    "A batch can be scheduled at most 5 years ahead.",
                );
                None
            }
            // A time in the past means now (§7).
            Some(t) => Some(t.max(now)),
            None => {
                errors.add(
                    "schedule_at",
                    "Enter the date and time as YYYY-MM-DD HH:MM (Hong Kong time).",
                );
                None
            }
        },
    };
    let range = crate::settings::MIN_VALIDITY_MINUTES..=crate::settings::MAX_VALIDITY_MINUTES;
    if validity_minutes.is_some_and(|v| !range.contains(&v)) {
        errors.add(
            "validity_minutes",
            format!(
                "The validity period is whole minutes from {} to {}.",
                range.start(),
                range.end()
            ),
        );
    }
    let callback_url = match callback_url.map(crate::callbacks::CallbackUrl::parse) {
        Some(Ok(url)) => Some(url.as_str().to_string()),
        Some(Err(problem)) => {
            errors.add("callback_url", problem);
            None
        }
        None => None,
    };
    errors.into_result()?;
    let validity_minutes = validity_minutes.unwrap_or(defaults.validity_minutes);
    let callback_url =
        callback_url.or_else(|| Some(defaults.status_callback_url).filter(|url| !url.is_empty()));
    let has_china = recipients.iter().any(|r| r.route == Route::China);
    let batch = NewBatch {
        account_id,
        route: hk_route(choice),
        sender_id,
        purpose: match submission.purpose {
            Some(Purpose::Promotion) => "promotion".into(),
            Some(Purpose::Notification) | None => "notification".into(),
        },
        content: submission.text,
        final_text: check.final_text.clone(),
        china_text: has_china.then(|| composition.china.text.clone()),
        encoding: check.encoding,
        parts: check.parts,
        validity_minutes,
        scheduled_at,
        recipients,
        unsent,
        resent_from: None,
        callback_url,
        idempotency_ref: idempotency_ref.map(str::to_string),
    };
    let (messages, unsent) = (batch.recipients.len(), batch.unsent.len());
    match batches.submit_answered(batch, answer_messages).await {
        Ok(stored) => {
            tracing::info!(batch_id = stored.id, account_id = account_id, messages, unsent, "batch accepted");
            Ok(Submitted {
                batch_id: stored.id,
                check,
                scheduled_at,
                messages: stored.messages,
            })
        }
        Err(BatchError::InsufficientBalance { total, available, shortfall }) => Err(Error::InsufficientBalance(format!(
            "Insufficient balance: this batch costs {total} and {available} is available. Top up {shortfall} more, or send to fewer numbers. Nothing was sent."
        ))),
        Err(e) => Err(Error::internal("create batch", e)),
    }
}

pub use crate::ledger::parse_hkt_datetime;

#[cfg(test)]
mod tests;
