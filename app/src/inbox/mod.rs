//! Two-way SMS in the portal (PRODUCT.md §10): the inbox of replies to the account's inbound
//! numbers, newest first and searchable, the conversation with one number, a CSV export, live
//! arrival and the unread count in the navigation; and for staff, the inbound numbers they
//! assign and the replies to numbers nobody holds. The replies themselves are stored by the
//! dispatcher (`engine::two_way`).

pub mod page;

#[cfg(feature = "ssr")]
pub mod events;
#[cfg(feature = "ssr")]
pub mod export;

pub use engine::two_way::{ConversationLine, InboundNumber, Reply, UnroutedReply};

use crate::error::AppError;
#[cfg(feature = "ssr")]
use crate::i18n::{tr, Lang};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// Replies per inbox page.
pub const PAGE_SIZE: i64 = 50;

/// One page of the inbox.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InboxPage {
    pub replies: Vec<Reply>,
    /// The id to pass as `before` for the next (older) page, when there is one.
    pub next_before: Option<i64>,
    pub unread: i64,
    /// The account's inbound numbers now (with their keywords).
    pub numbers: Vec<InboundNumber>,
}

/// The inbox search as the form sends it: `number` (any format, empty for all), `from`/`to`
/// Hong Kong dates (YYYY-MM-DD, both days included), `before` a reply id (0 for the newest).
#[cfg(feature = "ssr")]
pub fn reply_filter(
    lang: Lang,
    number: &str,
    from: &str,
    to: &str,
    before: i64,
    limit: i64,
) -> Result<engine::two_way::store::ReplyFilter, AppError> {
    let period = crate::delivery::search_period(lang, from, to)?;
    let number = number.trim();
    if !number.is_empty() && !number.chars().any(|c| c.is_ascii_digit()) {
        return Err(AppError::field("number", tr::inbox_search_by_number(lang)));
    }
    Ok(engine::two_way::store::ReplyFilter {
        sender: Some(number.to_string()).filter(|n| !n.is_empty()),
        from_ms: period.from,
        until_ms: period.to,
        before_id: (before > 0).then_some(before),
        limit,
    })
}

#[server(endpoint = "inbox_replies")]
pub async fn inbox_replies(
    number: String,
    from: String,
    to: String,
    before: i64,
) -> Result<InboxPage, AppError> {
    let lang = crate::i18n::page_lang();
    crate::auth::context::as_customer(|viewer, db| async move {
        use engine::two_way::store;
        let filter = reply_filter(lang, &number, &from, &to, before, PAGE_SIZE + 1)?;
        let mut replies = store::replies(&db, viewer.account_id, &filter).await?;
        let more = replies.len() as i64 > PAGE_SIZE;
        replies.truncate(PAGE_SIZE as usize);
        let numbers = store::numbers(&db, Some(viewer.account_id))
            .await?
            .into_iter()
            .filter(|n| n.released_at.is_none())
            .collect();
        Ok(InboxPage {
            next_before: if more {
                replies.last().map(|r| r.id)
            } else {
                None
            },
            unread: store::unread_count(&db, viewer.account_id).await?,
            replies,
            numbers,
        })
    })
    .await
}

/// The conversation with `number` (sent and received, oldest first); opening it marks its
/// replies read.
#[server(endpoint = "inbox_conversation")]
pub async fn inbox_conversation(number: String) -> Result<Vec<ConversationLine>, AppError> {
    let lang = crate::i18n::page_lang();
    crate::auth::context::as_customer(|viewer, db| async move {
        use engine::two_way::store;
        if !number.chars().any(|c| c.is_ascii_digit()) {
            return Err(AppError::field("number", tr::inbox_open_by_number(lang)));
        }
        let lines = store::conversation(&db, viewer.account_id, &number, 200).await?;
        store::mark_read(&db, viewer.account_id, Some(&number)).await?;
        Ok(lines)
    })
    .await
}

/// Marks every reply read.
#[server(endpoint = "inbox_mark_all_read")]
pub async fn inbox_mark_all_read() -> Result<u64, AppError> {
    crate::auth::context::as_customer(|viewer, db| async move {
        Ok(engine::two_way::store::mark_read(&db, viewer.account_id, None).await?)
    })
    .await
}

/// The staff page's data: every assignment (current first) and the latest unrouted replies.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InboundNumbersView {
    pub numbers: Vec<InboundNumber>,
    pub unrouted: Vec<UnroutedReply>,
}

#[server(endpoint = "inbound_numbers")]
pub async fn inbound_numbers() -> Result<InboundNumbersView, AppError> {
    crate::auth::context::as_staff(|_, db| async move {
        use engine::two_way::store;
        Ok(InboundNumbersView {
            numbers: store::numbers(&db, None).await?,
            unrouted: store::unrouted(&db, 200).await?,
        })
    })
    .await
}

/// Assigns `number` (with `keyword`, or none) to the customer account `login` (audited).
#[server(endpoint = "assign_inbound_number")]
pub async fn assign_inbound_number(
    login: String,
    number: String,
    keyword: String,
) -> Result<i64, AppError> {
    crate::auth::context::as_staff(|staff, db| async move {
        Ok(engine::two_way::store::assign_number_to_login(
            &db,
            staff.account_id,
            &login,
            &number,
            &keyword,
        )
        .await?)
    })
    .await
}

/// Ends an assignment (kept in the history, audited).
#[server(endpoint = "release_inbound_number")]
pub async fn release_inbound_number(id: i64) -> Result<(), AppError> {
    crate::auth::context::as_staff(|staff, db| async move {
        Ok(engine::two_way::store::release_number(&db, staff.account_id, id).await?)
    })
    .await
}
