//! Unit prices per message part. The staff-maintained price list (per route and destination
//! prefix, with effective dates) replaces these defaults; until then every account pays these.
//! The server sends them to the composer, so the browser's preview and the server's check use
//! the same figures.

use sms::{Money, Route};

/// The installation's default price for one part on `route`, in HK$.
pub const fn default_unit_price(route: Route) -> Money {
    match route {
        Route::HkBusiness => Money::from_minor(3_200), // HK$0.32
        Route::HkEconomic => Money::from_minor(2_200), // HK$0.22
        Route::China => Money::from_minor(4_500),      // HK$0.45
        Route::International => Money::from_minor(6_800), // HK$0.68
    }
}
