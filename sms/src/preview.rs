//! The contract behind `ferry preview`: one JSON line in, one JSON line out, so scripts and tests
//! can ask the exact question the composer answers live.
//!
//! In:  `{"route":"HK"|"CN","text":"..."}`
//! Out: `{"encoding":"GSM7"|"UCS2","units":N,"parts":N|null,"error":null|"..."}`
//!
//! `units` counts after the line-break rule and before any China signature. `parts` is null
//! when the text is too long. When the input line itself is malformed, `error` says why and the
//! other fields keep their types (`"GSM7"`, `0`, `null`) so every output line has one shape.

use crate::encoding::Encoding;
use crate::segment::{segment, SegmentTable};
use serde::{Deserialize, Serialize};

/// The route names the contract accepts: `HK` (the Standard table, which also covers
/// international routes) and `CN` (the China table).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum PreviewRoute {
    #[serde(rename = "HK")]
    Hk,
    #[serde(rename = "CN")]
    Cn,
}

impl PreviewRoute {
    pub const fn segment_table(self) -> SegmentTable {
        match self {
            PreviewRoute::Hk => SegmentTable::Standard,
            PreviewRoute::Cn => SegmentTable::China,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PreviewRequest {
    pub route: PreviewRoute,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PreviewResponse {
    pub encoding: Encoding,
    pub units: usize,
    pub parts: Option<u8>,
    pub error: Option<String>,
}

/// Answers one request.
pub fn preview(request: &PreviewRequest) -> PreviewResponse {
    let s = segment(&request.text, request.route.segment_table());
    PreviewResponse {
        encoding: s.encoding,
        units: s.units,
        parts: s.parts,
        error: s.too_long.map(|e| e.to_string()),
    }
}

/// Answers one input line with one output line (no trailing newline). Never panics: a line that
/// is not a valid request gets an `error` explaining what is wrong.
pub fn preview_line(line: &str) -> String {
    let response = match serde_json::from_str::<PreviewRequest>(line.trim()) {
        Ok(request) => preview(&request),
        Err(e) => PreviewResponse {
            encoding: Encoding::Gsm7,
            units: 0,
            parts: None,
            error: Some(malformed(&e)),
        },
    };
    // Serializing plain strings and numbers cannot fail; fall back to a fixed line regardless.
    serde_json::to_string(&response).unwrap_or_else(|_| {
        r#"{"encoding":"GSM7","units":0,"parts":null,"error":"internal error"}"#.to_string()
    })
}

fn malformed(e: &serde_json::Error) -> String {
    let detail = e.to_string();
    if detail.contains("unknown variant") {
        "invalid input: \"route\" must be \"HK\" or \"CN\"".to_string()
    } else {
        format!("invalid input: expected {{\"route\":\"HK\"|\"CN\",\"text\":\"...\"}} ({detail})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    fn run(input: Value) -> Value {
        let out = preview_line(&input.to_string());
        serde_json::from_str(&out).expect("output is JSON")
    }

    #[test]
    fn hk_gsm_text_counts_units_and_parts() {
        assert_eq!(
            run(json!({"route": "HK", "text": "Hello"})),
            json!({"encoding": "GSM7", "units": 5, "parts": 1, "error": null})
        );
    }

    #[test]
    fn line_breaks_count_two_in_the_preview() {
        assert_eq!(
            run(json!({"route": "HK", "text": "a\nb\r\nc"})),
            json!({"encoding": "GSM7", "units": 7, "parts": 1, "error": null})
        );
    }

    #[test]
    fn hk_boundaries_match_the_spec() {
        let p = |n: usize| run(json!({"route": "HK", "text": "a".repeat(n)}))["parts"].clone();
        assert_eq!(p(160), json!(1));
        assert_eq!(p(161), json!(2));
        assert_eq!(p(459), json!(3));
        assert_eq!(p(460), Value::Null);
    }

    #[test]
    fn cn_uses_the_china_table_without_signature() {
        assert_eq!(
            run(json!({"route": "CN", "text": "中".repeat(63)})),
            json!({"encoding": "UCS2", "units": 63, "parts": 2, "error": null})
        );
    }

    #[test]
    fn too_long_text_has_null_parts_and_a_message() {
        let out = run(json!({"route": "CN", "text": "a".repeat(460)}));
        assert_eq!(out["parts"], Value::Null);
        assert_eq!(out["units"], json!(460));
        assert_eq!(
            out["error"],
            json!("the message is too long: 460 characters, but at most 459 fit in 8 parts")
        );
    }

    #[test]
    fn malformed_lines_get_an_error_in_the_same_shape() {
        for line in [
            "",
            "not json",
            "{}",
            r#"{"route":"HK"}"#,
            r#"{"route":"XX","text":"a"}"#,
            r#"{"route":"HK","text":5}"#,
            "[1,2]",
        ] {
            let out: Value = serde_json::from_str(&preview_line(line)).expect("JSON");
            assert!(out["error"].is_string(), "{line:?} -> {out}");
            assert_eq!(out["parts"], Value::Null);
            assert_eq!(out["encoding"], json!("GSM7"));
            assert_eq!(out["units"], json!(0));
        }
        let out: Value =
            serde_json::from_str(&preview_line(r#"{"route":"XX","text":"a"}"#)).expect("JSON");
        assert_eq!(
            out["error"],
            json!("invalid input: \"route\" must be \"HK\" or \"CN\"")
        );
    }

    #[test]
    fn output_fields_come_in_contract_order() {
        assert_eq!(
            preview_line(r#"{"route":"HK","text":"😀"}"#),
            r#"{"encoding":"UCS2","units":2,"parts":1,"error":null}"#
        );
    }
}
