//! Routes: the operator path a message takes, which decides its rules (spec §5).
//!
//! The route follows from the destination; only for Hong Kong numbers does the customer choose,
//! between *Business* (sender ID, delivery reports) and *Economic* (cheaper, neither).

use crate::msisdn::Destination;
use crate::segment::SegmentTable;
use crate::status::DeliveryStatus;
use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Route {
    HkBusiness,
    HkEconomic,
    China,
    International,
}

/// The customer's choice for Hong Kong numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum HkRouteChoice {
    #[default]
    Business,
    Economic,
}

impl Route {
    pub const ALL: [Route; 4] = [
        Route::HkBusiness,
        Route::HkEconomic,
        Route::China,
        Route::International,
    ];

    /// The route a message to `destination` takes.
    pub const fn for_destination(destination: Destination, hk_choice: HkRouteChoice) -> Route {
        match (destination, hk_choice) {
            (Destination::HongKong, HkRouteChoice::Business) => Route::HkBusiness,
            (Destination::HongKong, HkRouteChoice::Economic) => Route::HkEconomic,
            (Destination::China, _) => Route::China,
            (Destination::International, _) => Route::International,
        }
    }

    /// Which part-size table counts the text.
    pub const fn segment_table(self) -> SegmentTable {
        match self {
            Route::China => SegmentTable::China,
            Route::HkBusiness | Route::HkEconomic | Route::International => SegmentTable::Standard,
        }
    }

    /// Whether the customer's sender ID is shown. HK Economic saves the sender registration; the
    /// China operators substitute a traceable gateway number.
    pub const fn allows_sender_id(self) -> bool {
        matches!(self, Route::HkBusiness | Route::International)
    }

    /// Whether the operator reports the outcome. Without reports a message ends at
    /// [`DeliveryStatus::Submitted`]. China has no true handset report, but the gateway still
    /// returns DELIVERED or UNDELIVERABLE, so it counts as reporting.
    pub const fn has_delivery_reports(self) -> bool {
        !matches!(self, Route::HkEconomic)
    }

    /// The final status to record when the operator accepts a message on a route without
    /// delivery reports; `None` means wait for the report.
    pub const fn final_status_on_acceptance(self) -> Option<DeliveryStatus> {
        if self.has_delivery_reports() {
            None
        } else {
            Some(DeliveryStatus::Submitted)
        }
    }

    /// Whether the account's validity period applies (HK and foreign routes only).
    pub const fn uses_validity_period(self) -> bool {
        !matches!(self, Route::China)
    }

    /// Whether content is checked against the China illegal-keyword library.
    pub const fn checks_keywords(self) -> bool {
        matches!(self, Route::China)
    }

    /// Whether recipients can reply (China recipients cannot: the sender is a gateway number).
    pub const fn allows_replies(self) -> bool {
        !matches!(self, Route::China)
    }

    /// A stable name for storage and APIs.
    pub const fn as_str(self) -> &'static str {
        match self {
            Route::HkBusiness => "HK_BUSINESS",
            Route::HkEconomic => "HK_ECONOMIC",
            Route::China => "CHINA",
            Route::International => "INTERNATIONAL",
        }
    }

    /// The name customers see.
    pub const fn label(self) -> &'static str {
        match self {
            Route::HkBusiness => "HK Business",
            Route::HkEconomic => "HK Economic",
            Route::China => "China",
            Route::International => "International",
        }
    }
}

impl fmt::Display for Route {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown route {0:?}")]
pub struct UnknownRoute(pub String);

impl std::str::FromStr for Route {
    type Err = UnknownRoute;
    fn from_str(s: &str) -> Result<Route, UnknownRoute> {
        Route::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| UnknownRoute(s.to_string()))
    }
}

/// Stored routes are text columns.
impl TryFrom<String> for Route {
    type Error = UnknownRoute;
    fn try_from(s: String) -> Result<Route, UnknownRoute> {
        s.parse()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hong_kong_numbers_take_the_customers_choice() {
        assert_eq!(
            Route::for_destination(Destination::HongKong, HkRouteChoice::Business),
            Route::HkBusiness
        );
        assert_eq!(
            Route::for_destination(Destination::HongKong, HkRouteChoice::Economic),
            Route::HkEconomic
        );
    }

    #[test]
    fn other_destinations_ignore_the_hong_kong_choice() {
        for choice in [HkRouteChoice::Business, HkRouteChoice::Economic] {
            assert_eq!(
                Route::for_destination(Destination::China, choice),
                Route::China
            );
            assert_eq!(
                Route::for_destination(Destination::International, choice),
                Route::International
            );
        }
    }

    #[test]
    fn only_china_uses_the_china_table() {
        assert_eq!(Route::China.segment_table(), SegmentTable::China);
        for r in [Route::HkBusiness, Route::HkEconomic, Route::International] {
            assert_eq!(r.segment_table(), SegmentTable::Standard);
        }
    }

    #[test]
    fn economic_has_no_sender_id_and_ends_at_submitted() {
        assert!(!Route::HkEconomic.allows_sender_id());
        assert!(!Route::HkEconomic.has_delivery_reports());
        assert_eq!(
            Route::HkEconomic.final_status_on_acceptance(),
            Some(DeliveryStatus::Submitted)
        );
        assert!(Route::HkBusiness.allows_sender_id());
        assert_eq!(Route::HkBusiness.final_status_on_acceptance(), None);
    }

    #[test]
    fn china_has_no_sender_id_no_validity_period_and_keyword_checks() {
        assert!(!Route::China.allows_sender_id());
        assert!(Route::China.has_delivery_reports());
        assert!(!Route::China.uses_validity_period());
        assert!(Route::China.checks_keywords());
        assert!(!Route::China.allows_replies());
        assert!(Route::International.uses_validity_period());
        assert!(!Route::International.checks_keywords());
    }

    #[test]
    fn route_names_round_trip() {
        for r in Route::ALL {
            assert_eq!(r.as_str().parse::<Route>(), Ok(r));
        }
        assert!("HK".parse::<Route>().is_err());
    }
}
