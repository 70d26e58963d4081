//! The server side of the composer: its setup data and the authoritative recomputation.

use super::recipients::rows;
use super::{BroadcastCheck, ClientFigures, ComposerSetup, Purpose, RejectedRow};
use crate::auth::context::{require_viewer, server_state};
use crate::auth::signup_form::DEFAULT_COUNTRY_CODE;
use crate::auth::AccountStatus;
use crate::error::{AppError, FieldErrors};
use crate::pricing::store::current as current_prices;
use sms::{ChinaSignature, KeywordSet, Money, Msisdn, Route, SegmentTable};
use sqlx::Row;
use std::collections::HashSet;

/// Pasted lists are bounded like uploads (§6: 50,000 numbers).
pub const MAX_RECIPIENTS: usize = 50_000;
/// Rows a pasted list may have before anything is parsed: the number limit with room for
/// duplicates and mistakes.
pub const MAX_RECIPIENT_ROWS: usize = 2 * MAX_RECIPIENTS;
/// Refused rows echoed back in a check; the count covers them all.
pub const MAX_ECHOED_REJECTED_ROWS: usize = 1_000;

/// The China keyword matcher, built once per keyword list (building it for 10,000 keywords
/// takes ~14 ms; reading the list is one query).
async fn keyword_set(db: &crate::db::Db) -> Result<std::sync::Arc<KeywordSet>, AppError> {
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
        .map_err(|_| AppError::internal("keywords", "cache poisoned"))?
        .as_ref()
    {
        if *f == fingerprint {
            return Ok(set.clone());
        }
    }
    let set = Arc::new(KeywordSet::new(&keywords).map_err(|e| AppError::internal("keywords", e))?);
    *cache
        .lock()
        .map_err(|_| AppError::internal("keywords", "cache poisoned"))? =
        Some((fingerprint, set.clone()));
    Ok(set)
}

/// The China keywords `text` contains, by today's keyword list.
pub async fn china_keywords_in(db: &crate::db::Db, text: &str) -> Result<Vec<String>, AppError> {
    Ok(keyword_set(db)
        .await?
        .find_all(text)
        .into_iter()
        .map(|m| m.keyword)
        .collect())
}

/// Non-empty rows of a pasted list, counted without parsing a number.
pub fn count_rows(list: &str) -> usize {
    rows(list).count()
}

/// A pasted list, checked: the distinct numbers to send, how many repeats were collapsed, and
/// the refused rows (the first [`MAX_ECHOED_REJECTED_ROWS`] of `rejected_total`).
#[derive(Default)]
pub struct RecipientRows {
    pub valid: Vec<Msisdn>,
    pub duplicates: u64,
    pub rejected: Vec<RejectedRow>,
    pub rejected_total: u64,
}

/// Parses every row of `list` for `route`; a trial account (`trial_mobile`) may only send to
/// its registered mobile. Pure and CPU-bound: call it off the async workers.
pub fn validate_rows(list: &str, route: Route, trial_mobile: Option<&str>) -> RecipientRows {
    let mut out = RecipientRows {
        valid: Vec::new(),
        duplicates: 0,
        rejected: Vec::new(),
        rejected_total: 0,
    };
    let mut seen = HashSet::new();
    for (row, cell) in rows(list) {
        let reason = match Msisdn::parse(cell, DEFAULT_COUNTRY_CODE) {
            Err(e) => Some(e.to_string()),
            Ok(number) => {
                let destination_route =
                    Route::for_destination(number.destination(), hk_choice(route));
                if destination_route != route {
                    Some(format!(
                        "this number is on the {} route, not {}",
                        destination_route.label(),
                        route.label()
                    ))
                } else if trial_mobile.is_some_and(|m| number.as_str() != m) {
                    Some(
                        "a trial account can only send to its registered mobile number".to_string(),
                    )
                } else {
                    if seen.insert(number.as_str().to_string()) {
                        out.valid.push(number);
                    } else {
                        out.duplicates += 1;
                    }
                    None
                }
            }
        };
        if let Some(reason) = reason {
            out.rejected_total += 1;
            if out.rejected.len() < MAX_ECHOED_REJECTED_ROWS {
                out.rejected.push(RejectedRow {
                    row,
                    input: cell.chars().take(64).collect(),
                    reason,
                });
            }
        }
    }
    out
}

async fn china_keywords(db: &crate::db::Db) -> Result<Vec<String>, AppError> {
    Ok(
        sqlx::query("SELECT keyword FROM china_keywords ORDER BY keyword")
            .fetch_all(db.pool())
            .await?
            .into_iter()
            .map(|r| r.try_get::<String, _>(0))
            .collect::<Result<Vec<_>, _>>()?,
    )
}

struct AccountFacts {
    status: AccountStatus,
    mobile: String,
    balance: Money,
    /// The account's approved custom China signature, if any.
    china_signature: Option<String>,
}

async fn account_facts(db: &crate::db::Db, account_id: i64) -> Result<AccountFacts, AppError> {
    let row = sqlx::query(
        "SELECT status, mobile, balance_minor, china_signature FROM accounts WHERE id = $1",
    )
    .bind(account_id)
    .fetch_optional(db.pool())
    .await?
    .ok_or(AppError::NotFound)?;
    let status: String = row.try_get(0)?;
    Ok(AccountFacts {
        status: AccountStatus::parse(&status)
            .ok_or_else(|| AppError::internal("account status", status))?,
        mobile: row.try_get(1)?,
        balance: Money::from_minor(row.try_get(2)?),
        china_signature: row.try_get(3)?,
    })
}

/// The signature the China gateway prepends for this account: its approved one, else the
/// installation's default.
fn china_signature(
    state: &crate::auth::context::ServerState,
    facts: &AccountFacts,
) -> Result<ChinaSignature, AppError> {
    let text = facts
        .china_signature
        .as_deref()
        .unwrap_or(&state.portal.default_china_signature);
    ChinaSignature::parse(text).map_err(|e| AppError::internal("China signature", e))
}

pub async fn setup() -> Result<ComposerSetup, AppError> {
    let viewer = require_viewer()?;
    let state = server_state()?;
    let facts = account_facts(&state.db, viewer.account_id).await?;
    Ok(ComposerSetup {
        prices: current_prices(&state.db, crate::db::now_ms()).await?,
        china_keywords: china_keywords(&state.db).await?,
        china_signature: china_signature(&state, &facts)?.as_str().to_string(),
        has_custom_china_signature: facts.china_signature.is_some(),
        sender_ids: crate::sender_ids::store::list(&state.db, viewer.account_id, true)
            .await?
            .into_iter()
            .map(|s| s.sender_id)
            .collect(),
        balance: facts.balance,
        is_trial: facts.status == AccountStatus::Trial,
        registered_mobile: facts.mobile,
    })
}

/// What the customer composed, as the composer sends it for a check or a send.
#[derive(Debug, Clone)]
pub struct Submission {
    pub route: Route,
    pub purpose: Purpose,
    pub text: String,
    pub recipients: String,
    pub client: ClientFigures,
    /// Leave out numbers on the do-not-call register (free, §6).
    pub filter_dnc: bool,
}

pub async fn check(
    route: Route,
    purpose: Purpose,
    text: String,
    recipients: String,
    client: ClientFigures,
    filter_dnc: bool,
) -> Result<BroadcastCheck, AppError> {
    Ok(check_and_price(&Submission {
        route,
        purpose,
        text,
        recipients,
        client,
        filter_dnc,
    })
    .await?
    .check)
}

/// The server's verdict with what a batch stores: each number to send with its unit price, and
/// the numbers the do-not-call filter left out.
pub struct Priced {
    pub check: BroadcastCheck,
    pub recipients: Vec<(String, Money)>,
    pub dnc_filtered: Vec<String>,
}

/// The server's check, plus each valid recipient with its unit price (what a batch stores).
pub async fn check_and_price(submission: &Submission) -> Result<Priced, AppError> {
    let Submission {
        route,
        purpose,
        ref text,
        ref recipients,
        client,
        filter_dnc,
    } = *submission;
    let viewer = require_viewer()?;
    if viewer.is_staff() {
        return Err(AppError::Forbidden);
    }
    let state = server_state()?;
    let facts = account_facts(&state.db, viewer.account_id).await?;
    if facts.status == AccountStatus::Trial
        && crate::auth::verify::pending_mobile(&state.db, viewer.account_id)
            .await?
            .is_some()
    {
        return Err(AppError::ForbiddenBecause(
            "Verify your registered mobile number first: enter the 8-digit code we sent by SMS on your Account page.".into(),
        ));
    }
    let mut errors = FieldErrors::default();

    // The text exactly as it will be submitted, and how it segments.
    let (final_text, segmentation) = if route == Route::China {
        let composed = sms::china::compose(text, &china_signature(&state, &facts)?);
        (composed.text, composed.segmentation)
    } else {
        (text.clone(), sms::segment(text, SegmentTable::Standard))
    };
    if text.trim().is_empty() {
        errors.add("message", "Write the message to send.");
    } else if let Some(too_long) = segmentation.too_long {
        errors.add(
            "message",
            format!(
                "The message is too long: {} characters, at most {} fit in {} parts. Remove {} characters; Ferry never cuts a message.",
                too_long.units,
                too_long.limit,
                too_long.max_parts,
                too_long.units - too_long.limit
            ),
        );
    }
    if route == Route::China {
        let found = china_keywords_in(&state.db, text).await?;
        if !found.is_empty() {
            errors.add(
                "message",
                format!(
                    "China operators refuse messages containing: {}. Remove {} to send on the China route.",
                    found.join(", "),
                    if found.len() == 1 { "it" } else { "them" }
                ),
            );
        }
        if purpose == Purpose::Promotion && facts.china_signature.is_none() {
            errors.add(
                "purpose",
                "Without an approved custom China signature only notification messages may be sent.",
            );
        }
    }

    let prices = current_prices(&state.db, crate::db::now_ms()).await?;
    let rows = count_rows(recipients);
    let RecipientRows {
        valid,
        duplicates,
        rejected,
        rejected_total,
    } = if rows > MAX_RECIPIENT_ROWS {
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
        let list = recipients.clone();
        // libphonenumber's rules are CPU work: keep them off the async workers.
        tokio::task::spawn_blocking(move || validate_rows(&list, route, trial_mobile.as_deref()))
            .await
            .map_err(|e| AppError::internal("recipients", e))?
    };
    if rows > MAX_RECIPIENT_ROWS {
        // Already refused above.
    } else if valid.len() > MAX_RECIPIENTS {
        errors.add(
            "recipients",
            format!(
                "{} numbers is more than the {MAX_RECIPIENTS} one batch can take.",
                valid.len()
            ),
        );
    } else if valid.is_empty() {
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
    errors.into_result()?;

    let parts = segmentation
        .parts_or_err()
        .map_err(|e| AppError::field("message", e.to_string()))?;
    let unit_price = prices.base_price(route).ok_or_else(|| {
        AppError::Conflict(format!(
            "{} has no price yet; ask the Ferry operator.",
            route.label()
        ))
    })?;
    if client.encoding != segmentation.encoding
        || client.parts != parts
        || client.unit_price != unit_price
    {
        tracing::warn!(?client, %parts, %unit_price, "composer figures disagree with the server");
        return Err(AppError::Conflict(format!(
            "The page showed {} part(s) at {} each in {}, but Ferry counts {} part(s) at {} in {}. Reload the page and check the message again.",
            client.parts,
            client.unit_price,
            client.encoding,
            parts,
            unit_price,
            segmentation.encoding
        )));
    }
    // The do-not-call filter runs on valid numbers only: a rejected row stays rejected for
    // its own reason, and a filtered number is neither sent nor charged.
    let valid: Vec<String> = valid.into_iter().map(String::from).collect();
    let (valid, dnc_filtered) = if filter_dnc {
        crate::dnc::filter(&state.db, viewer.account_id, &valid).await?
    } else {
        (valid, Vec::new())
    };
    let mut total = Money::ZERO;
    let mut priced = Vec::with_capacity(valid.len());
    for number in valid {
        let price = prices.unit_price(route, &number).unwrap_or(unit_price);
        priced.push((number, price));
        total = sms::cost::message_cost(parts, price)
            .ok()
            .and_then(|cost| total.checked_add(cost))
            .ok_or_else(|| AppError::internal("quote", "overflow"))?;
    }
    if priced.is_empty() {
        return Err(AppError::field(
            "recipients",
            format!(
                "All {} numbers are on the do-not-call register and none has consent recorded: there is nothing to send.",
                dnc_filtered.len()
            ),
        ));
    }
    let recipients = priced.len() as u64;
    let shortfall = total.checked_sub(facts.balance).filter(|s| s.minor() > 0);
    Ok(Priced {
        check: BroadcastCheck {
            encoding: segmentation.encoding,
            units: segmentation.units,
            parts,
            final_text,
            recipients,
            duplicates_removed: duplicates,
            dnc_filtered: dnc_filtered.len() as u64,
            rejected,
            rejected_total,
            unit_price,
            total,
            balance: facts.balance,
            shortfall,
        },
        recipients: priced,
        dnc_filtered,
    })
}

/// Submits a broadcast: the same check, then the batch and its messages are stored in one
/// transaction before the answer (§7). Returns the batch id.
pub async fn submit(
    submission: Submission,
    sender_id: String,
    schedule_at: String,
) -> Result<i64, AppError> {
    use crate::delivery::store::{BatchError, NewBatch, Unsent};
    let viewer = require_viewer()?;
    let state = server_state()?;
    let Priced {
        check,
        recipients: priced,
        dnc_filtered,
    } = check_and_price(&submission).await?;
    let route = submission.route;
    let mut errors = FieldErrors::default();
    let sender_id = if route.allows_sender_id() {
        let mine = crate::sender_ids::store::list(&state.db, viewer.account_id, true).await?;
        if mine.is_empty() {
            errors.add("sender_id", format!("The {} route shows a sender ID, and this account has none yet. Ask the Ferry operator to create one, or use HK Economic.", route.label()));
            None
        } else if let Some(s) = mine.into_iter().find(|s| s.sender_id == sender_id.trim()) {
            Some(s.sender_id)
        } else {
            errors.add("sender_id", "Choose one of your sender IDs.");
            None
        }
    } else {
        None
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
    errors.into_result()?;
    let validity_minutes = crate::settings::store::load(&state.db, viewer.account_id)
        .await?
        .validity_minutes;
    let batch = NewBatch {
        account_id: viewer.account_id,
        route,
        sender_id,
        purpose: match submission.purpose {
            Purpose::Notification => "notification".into(),
            Purpose::Promotion => "promotion".into(),
        },
        content: submission.text,
        final_text: check.final_text.clone(),
        encoding: check.encoding,
        parts: check.parts,
        validity_minutes,
        scheduled_at,
        recipients: priced,
        unsent: dnc_filtered.into_iter().map(Unsent::do_not_call).collect(),
        resent_from: None,
    };
    match state.batches.submit(batch.clone()).await {
        Ok(id) => {
            tracing::info!(batch_id = id, account_id = viewer.account_id, messages = batch.recipients.len(), unsent = batch.unsent.len(), "batch accepted");
            Ok(id)
        }
        Err(BatchError::InsufficientBalance { total, available, shortfall }) => Err(AppError::Conflict(format!(
            "Insufficient balance: this batch costs {total} and {available} is available. Top up {shortfall} more, or send to fewer numbers. Nothing was sent."
        ))),
        Err(e) => Err(AppError::internal("create batch", e)),
    }
}

/// `YYYY-MM-DDTHH:MM` (a datetime-local input) or `YYYY-MM-DD HH:MM`, Hong Kong time, in ms.
pub fn parse_hkt_datetime(s: &str) -> Option<i64> {
    let (date, time) = s.trim().split_once(['T', ' '])?;
    let midnight = crate::ledger::hkt_date_to_ms(date)?;
    let (h, m) = time.split_once(':')?;
    let h: i64 = h.parse().ok()?;
    let m: i64 = m.get(..2).unwrap_or(m).parse().ok()?;
    if !(0..24).contains(&h) || !(0..60).contains(&m) {
        return None;
    }
    Some(midnight + (h * 60 + m) * 60_000)
}

fn hk_choice(route: Route) -> sms::HkRouteChoice {
    if route == Route::HkEconomic {
        sms::HkRouteChoice::Economic
    } else {
        sms::HkRouteChoice::Business
    }
}
