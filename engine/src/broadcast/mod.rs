//! Broadcast SMS (PRODUCT.md §4–§7): what the composer computes live in the browser (the `sms`
//! crate, [`compose`], [`quote`]) and the server's own check and submission of the same figures
//! (`store`), one sending path for every door.
//!
//! The route follows each number (§5): Hong Kong numbers go by the customer's choice of HK
//! Business or HK Economic, mainland numbers by the China route (signature and unsubscribe
//! suffix added), every other country by International. One batch may mix them; each
//! recipient is composed, counted and priced by its own route, the same way here in the
//! browser ([`compose`], [`quote`]) as on the server.

pub mod recipients;
#[cfg(feature = "storage")]
mod rows;

#[cfg(feature = "storage")]
pub mod store;

use crate::pricing::PriceList;
use serde::{Deserialize, Serialize};
use sms::{ChinaSignature, Encoding, HkRouteChoice, Money, Route, SegmentTable, Segmentation};

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
    /// The country code for numbers typed without one (the account's setting, §6).
    pub default_country_code: u16,
    /// The account's unsubscribe hotline (digits; empty when not set), which the composer
    /// offers to append to promotional messages as `EN/UN<hotline>` (§5, UEMO).
    #[serde(default)]
    pub unsubscribe_hotline: String,
}

/// China messages are declared notification or promotion; without a custom signature only
/// notifications may be sent (§5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum Purpose {
    #[default]
    Notification,
    Promotion,
}

pub use crate::import::RejectedRow;

/// What the customer composed, as the composer sends it for a check or a send (the same JSON
/// fields for both).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Submission {
    /// The Hong Kong choice: HK Business or HK Economic.
    pub route: Route,
    /// Notification or promotion, as the customer declared it; `None` when not declared,
    /// which mainland numbers without an approved custom signature refuse (§5).
    #[serde(default)]
    pub purpose: Option<Purpose>,
    pub text: String,
    pub recipients: String,
    /// The figures the composer showed, which the server must agree with; `None` from an API,
    /// which shows none (its caller sees the server's own figures in the answer).
    #[serde(default)]
    pub client: Option<ClientFigures>,
    /// Leave out numbers on the do-not-call register (free, §6).
    #[serde(default)]
    pub filter_dnc: bool,
    /// For numbers typed without a country code; the account's setting when `None`.
    #[serde(default)]
    pub default_country_code: Option<u16>,
}

/// One route's share of a batch: how many recipients, the parts each message takes on it, the
/// route's general price per part and what its recipients cost (each at its own price).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RouteQuote {
    pub route: Route,
    pub recipients: u64,
    pub parts: u8,
    pub unit_price: Money,
    pub total: Money,
}

/// The server's verdict on a composed broadcast: its own count, cost and recipient check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BroadcastCheck {
    /// How the text as typed counts (what Hong Kong and international recipients receive).
    pub encoding: Encoding,
    pub units: usize,
    pub parts: u8,
    pub final_text: String,
    /// The text mainland recipients receive (signature and suffix), when there are any.
    pub china_text: Option<String>,
    pub recipients: u64,
    pub duplicates_removed: u64,
    /// Valid numbers left out because they are on the do-not-call register (only when the
    /// customer ticked the filter); they are not charged and not counted in `recipients`.
    pub dnc_filtered: u64,
    /// Numbers left out because they replied STOP to this account (its opt-out list).
    pub opted_out: u64,
    /// The first refused rows (at most 1,000), each with its reason…
    pub rejected: Vec<RejectedRow>,
    /// …and how many rows were refused in all.
    pub rejected_total: u64,
    /// The chosen Hong Kong route's general price.
    pub unit_price: Money,
    /// Each route's recipients, parts and cost, in the order Hong Kong, China, International.
    pub routes: Vec<RouteQuote>,
    pub total: Money,
    pub balance: Money,
    /// How much more credit the batch needs, when the balance does not cover it.
    pub shortfall: Option<Money>,
}

/// The browser's figures, sent along so the server can refuse a request computed differently
/// (a stale page, a tampered request, or a rules mismatch between browser and server).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientFigures {
    /// How the text as typed counts.
    pub encoding: Encoding,
    pub parts: u8,
    /// Parts of the China text (signature and suffix included), when the page showed it.
    #[serde(default)]
    pub china_parts: Option<u8>,
    /// The chosen Hong Kong route's general price the page showed (a stale list is refused).
    pub unit_price: Money,
}

/// A text as one route's recipients receive it, and how it counts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Composed {
    pub text: String,
    pub segmentation: Segmentation,
    /// China only: the unsubscribe suffix fitted in the last part.
    pub unsubscribe_appended: bool,
}

impl Composed {
    pub fn parts(&self) -> Option<u8> {
        self.segmentation.parts
    }
}

/// What each kind of recipient receives: the text as typed (Hong Kong and international
/// numbers) and, for mainland numbers, with the signature and unsubscribe suffix (§5).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Composition {
    pub standard: Composed,
    pub china: Composed,
}

impl Composition {
    pub fn for_route(&self, route: Route) -> &Composed {
        if route == Route::China {
            &self.china
        } else {
            &self.standard
        }
    }
}

/// Composes `text` for every route. Without a valid signature the China text is the plain
/// text counted on the China table (the server always has one).
pub fn compose(text: &str, signature: Option<&ChinaSignature>) -> Composition {
    let china = match signature {
        Some(sig) => {
            let c = sms::china::compose(text, sig);
            Composed {
                text: c.text,
                segmentation: c.segmentation,
                unsubscribe_appended: c.unsubscribe_appended,
            }
        }
        None => Composed {
            text: text.to_string(),
            segmentation: sms::segment(text, SegmentTable::China),
            unsubscribe_appended: false,
        },
    };
    Composition {
        standard: Composed {
            text: text.to_string(),
            segmentation: sms::segment(text, SegmentTable::Standard),
            unsubscribe_appended: false,
        },
        china,
    }
}

/// The Hong Kong route a choice means.
pub fn hk_route(choice: HkRouteChoice) -> Route {
    Route::for_destination(sms::Destination::HongKong, choice)
}

/// The customer's Hong Kong choice from a route field: HK Business or HK Economic only (other
/// numbers take their own route).
pub fn hk_choice(route: Route) -> Option<HkRouteChoice> {
    match route {
        Route::HkBusiness => Some(HkRouteChoice::Business),
        Route::HkEconomic => Some(HkRouteChoice::Economic),
        Route::China | Route::International => None,
    }
}

/// The routes in the order the composer and the check list them.
pub fn route_order(choice: HkRouteChoice) -> [Route; 3] {
    [hk_route(choice), Route::China, Route::International]
}

/// Each route's share and the whole cost of sending `composition` to `recipients` (each with
/// its route and E.164 digits), every number at its own price (longest prefix, else the
/// route's general price). `None` for the total when a used route's text is too long or has
/// no price.
pub fn quote<'a>(
    recipients: impl IntoIterator<Item = (Route, &'a str)>,
    choice: HkRouteChoice,
    composition: &Composition,
    prices: &PriceList,
) -> (Vec<RouteQuote>, Option<Money>) {
    let order = route_order(choice);
    let mut counts = [0u64; 3];
    let mut totals: [Option<Money>; 3] = [Some(Money::ZERO); 3];
    for (route, digits) in recipients {
        let Some(i) = order.iter().position(|r| *r == route) else {
            continue;
        };
        counts[i] += 1;
        let parts = composition.for_route(route).parts();
        let price = prices
            .unit_price(route, digits)
            .or_else(|| prices.base_price(route));
        totals[i] = match (totals[i], parts, price) {
            (Some(t), Some(parts), Some(price)) => sms::cost::message_cost(parts, price)
                .ok()
                .and_then(|c| t.checked_add(c)),
            _ => None,
        };
    }
    let mut quotes = Vec::new();
    let mut total = Some(Money::ZERO);
    for (i, route) in order.into_iter().enumerate() {
        if counts[i] == 0 {
            continue;
        }
        total = match (total, totals[i]) {
            (Some(a), Some(b)) => a.checked_add(b),
            _ => None,
        };
        quotes.push(RouteQuote {
            route,
            recipients: counts[i],
            parts: composition.for_route(route).parts().unwrap_or(0),
            unit_price: prices.base_price(route).unwrap_or(Money::ZERO),
            total: totals[i].unwrap_or(Money::ZERO),
        });
    }
    (quotes, total)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pricing::PriceEntry;

    fn prices() -> PriceList {
        let entry = |route, prefix: &str, minor| PriceEntry {
            route,
            prefix: prefix.into(),
            unit_price: Money::from_minor(minor),
        };
        PriceList(vec![
            entry(Route::HkBusiness, "", 3_200),
            entry(Route::HkEconomic, "", 2_200),
            entry(Route::China, "", 5_000),
            entry(Route::International, "", 8_000),
            entry(Route::International, "853", 6_000),
        ])
    }

    #[test]
    fn each_number_is_counted_and_priced_on_its_own_route() {
        let sig = ChinaSignature::parse("Ferry").expect("signature");
        // 150 GSM characters: 1 part as typed, 3 parts on the China table with the signature.
        let text = "a".repeat(150);
        let composition = compose(&text, Some(&sig));
        assert_eq!(composition.standard.parts(), Some(1));
        assert_eq!(composition.china.parts(), Some(3));
        let recipients = [
            (Route::HkEconomic, "85291234567"),
            (Route::HkEconomic, "85261234567"),
            (Route::China, "8613800138000"),
            (Route::International, "85366123456"),
            (Route::International, "447911123456"),
        ];
        let (quotes, total) = quote(recipients, HkRouteChoice::Economic, &composition, &prices());
        let shares: Vec<(Route, u64, u8, i64)> = quotes
            .iter()
            .map(|q| (q.route, q.recipients, q.parts, q.total.minor()))
            .collect();
        assert_eq!(
            shares,
            vec![
                (Route::HkEconomic, 2, 1, 4_400),
                (Route::China, 1, 3, 15_000),
                (Route::International, 2, 1, 14_000),
            ]
        );
        assert_eq!(total, Some(Money::from_minor(33_400)));
    }

    #[test]
    fn a_route_without_a_price_leaves_the_total_unknown() {
        let composition = compose("Hi", None);
        let mut list = prices();
        list.0.retain(|e| e.route != Route::China);
        let (_, total) = quote(
            [(Route::China, "8613800138000")],
            HkRouteChoice::Business,
            &composition,
            &list,
        );
        assert_eq!(total, None);
    }
}
