//! Ferry's SMS rules: everything the browser (through WASM) and the server must compute
//! identically. Pure: no I/O, no async, no Leptos, so it builds for native and wasm32 alike.
//!
//! One module per capability, named in the spec's words:
//! - [`encoding`]: GSM-7 or UCS-2, units, the line-break rule, characters forcing UCS-2 (§4)
//! - [`segment`](mod@segment): parts per route table, and the split actually submitted (§4)
//! - [`china`]: signature prefix and unsubscribe suffix for the China route (§5)
//! - [`msisdn`]: recipient numbers in E.164 digits, and their destination (§6)
//! - [`route`]: HK Business / HK Economic / China / International and their rules (§5)
//! - [`sender_id`]: alphanumeric, numeric and registered sender IDs (§2)
//! - [`keywords`]: the China illegal-keyword check (§5)
//! - [`status`]: delivery statuses and error codes (§8)
//! - [`cost`]: parts × unit price, per message and per batch (§3)
//! - [`money`]: HKD amounts as integer minor units (§3)
//! - [`preview`]: the `ferry preview` JSON contract

pub mod china;
pub mod cost;
pub mod encoding;
pub mod keywords;
pub mod money;
pub mod msisdn;
pub mod preview;
pub mod privacy;
pub mod route;
pub mod segment;
pub mod sender_id;
pub mod status;

pub use china::{ChinaMessage, ChinaSignature};
pub use cost::Quote;
pub use encoding::Encoding;
pub use keywords::{KeywordMatch, KeywordSet};
pub use money::Money;
pub use msisdn::{Destination, Msisdn};
pub use privacy::mask_for_staff;
pub use route::{HkRouteChoice, Route};
pub use segment::{segment, split, Part, SegmentTable, Segmentation, SplitMessage, TooLong};
pub use sender_id::SenderId;
pub use status::{DeliveryStatus, ErrorCode};
