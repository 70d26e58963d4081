//! Broadcast SMS (PRODUCT.md §4–§7): the composer with its live count and cost, computed in
//! the browser by the `sms` crate, and the server's own recomputation of the same figures.

// `submit_broadcast` takes the composer's fields one argument each (the request's JSON shape);
// the server-function macro generates the browser's caller without any attribute put on it.
#![allow(clippy::too_many_arguments)]

mod composer;
pub mod recipients;

#[cfg(feature = "ssr")]
pub mod store;

pub use composer::BroadcastPage;

use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use sms::{Encoding, Money, Route};

/// What the composer needs from the server once, when the page loads; everything after that is
/// computed in the browser.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ComposerSetup {
    pub prices: crate::pricing::PriceList,
    pub china_keywords: Vec<String>,
    /// The signature the China gateway prepends: the account's approved one, else the default.
    pub china_signature: String,
    pub has_custom_china_signature: bool,
    /// The account's active sender IDs, created by staff (§2).
    pub sender_ids: Vec<String>,
    pub balance: Money,
    pub is_trial: bool,
    pub registered_mobile: String,
}

/// China messages are declared notification or promotion; without a custom signature only
/// notifications may be sent (§5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum Purpose {
    #[default]
    Notification,
    Promotion,
}

/// One recipient row the server refused, with where it was and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RejectedRow {
    /// 1-based row (line) in what the customer pasted or uploaded.
    pub row: usize,
    pub input: String,
    pub reason: String,
}

/// The server's verdict on a composed broadcast: its own count, cost and recipient check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BroadcastCheck {
    pub encoding: Encoding,
    pub units: usize,
    pub parts: u8,
    /// The text exactly as it will be submitted (China: with signature and suffix).
    pub final_text: String,
    pub recipients: u64,
    pub duplicates_removed: u64,
    /// Valid numbers left out because they are on the do-not-call register (only when the
    /// customer ticked the filter); they are not charged and not counted in `recipients`.
    pub dnc_filtered: u64,
    /// The first refused rows (at most 1,000), each with its reason…
    pub rejected: Vec<RejectedRow>,
    /// …and how many rows were refused in all.
    pub rejected_total: u64,
    /// The route's general price; some destinations are priced by prefix (see `total`).
    pub unit_price: Money,
    pub total: Money,
    pub balance: Money,
    /// How much more credit the batch needs, when the balance does not cover it.
    pub shortfall: Option<Money>,
}

/// The browser's figures, sent along so the server can refuse a request computed differently
/// (a stale page, a tampered request, or a rules mismatch between browser and server).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientFigures {
    pub encoding: Encoding,
    pub parts: u8,
    /// The route's general price the page showed (a stale price list is refused).
    pub unit_price: Money,
}

#[server(endpoint = "composer_setup")]
pub async fn load_composer_setup() -> Result<ComposerSetup, AppError> {
    crate::error::with_status(store::setup().await)
}

#[server(endpoint = "check_broadcast", input = server_fn::codec::Json)]
pub async fn check_broadcast(
    route: Route,
    purpose: Purpose,
    text: String,
    recipients: String,
    client: ClientFigures,
    #[server(default)] filter_dnc: bool,
) -> Result<BroadcastCheck, AppError> {
    crate::error::with_status(
        store::check(route, purpose, text, recipients, client, filter_dnc).await,
    )
}

// The composer's fields, one argument each: that is the request's JSON shape.
#[server(endpoint = "submit_broadcast", input = server_fn::codec::Json)]
pub async fn submit_broadcast(
    route: Route,
    purpose: Purpose,
    text: String,
    recipients: String,
    client: ClientFigures,
    sender_id: String,
    schedule_at: String,
    #[server(default)] filter_dnc: bool,
) -> Result<i64, AppError> {
    crate::error::with_status(
        store::submit(
            store::Submission {
                route,
                purpose,
                text,
                recipients,
                client,
                filter_dnc,
            },
            sender_id,
            schedule_at,
        )
        .await,
    )
}
