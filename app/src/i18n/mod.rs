//! English and Traditional Chinese (繁體中文). Every text a person reads comes from
//! `app/locales/<language>/*.ftl` through [`tr`], one function per message, generated at build
//! time (app/build.rs): `tr::nav_sign_in(lang)`, `tr::results_count(lang, count)`.
//!
//! The page's language: the signed-in person's choice, else the `ferry_lang` cookie (the
//! switch in the navigation sets both), else the browser's `Accept-Language`. It is fixed for
//! the page: switching reloads it, so server and browser render the same words.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
pub mod switch;

/// The portal's languages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum Lang {
    #[default]
    En,
    ZhHant,
}

/// The cookie that carries a visitor's choice.
pub const COOKIE: &str = "ferry_lang";

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::En, Lang::ZhHant];

    /// The BCP 47 tag, as in `<html lang>`.
    pub fn tag(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::ZhHant => "zh-Hant",
        }
    }

    /// The language's name in itself, for the switch.
    pub fn native_name(self) -> &'static str {
        match self {
            Lang::En => "English",
            Lang::ZhHant => "繁體中文",
        }
    }

    /// A tag as browsers and people write it: any English is `en`, any Chinese (`zh`,
    /// `zh-HK`, `zh-TW`, `zh-Hant`, and `zh-CN`: Traditional is the closer of the two we have).
    pub fn from_tag(tag: &str) -> Option<Lang> {
        let primary = tag.trim().split(['-', '_']).next()?.to_ascii_lowercase();
        match primary.as_str() {
            "en" => Some(Lang::En),
            "zh" => Some(Lang::ZhHant),
            _ => None,
        }
    }

    /// The best of our languages in an `Accept-Language` header (by q-value, then order),
    /// English when it names none of them.
    pub fn from_accept_language(header: &str) -> Lang {
        let mut best: Option<(u16, Lang)> = None;
        for item in header.split(',').take(32) {
            let mut fields = item.split(';');
            let Some(lang) = fields.next().and_then(Lang::from_tag) else {
                continue;
            };
            let q = fields
                .find_map(|f| f.trim().strip_prefix("q="))
                .map_or(1000, parse_quality);
            if q > 0 && best.is_none_or(|(b, _)| q > b) {
                best = Some((q, lang));
            }
        }
        best.map_or(Lang::En, |(_, lang)| lang)
    }

    /// The language named by a `Cookie` header's `ferry_lang`, if any.
    #[cfg(feature = "ssr")]
    pub fn from_cookies(header: &str) -> Option<Lang> {
        crate::auth::context::cookie_value(header, COOKIE).and_then(Lang::from_tag)
    }
}

/// A q-value in thousandths ("0.8" → 800); malformed ones count as 0.
fn parse_quality(q: &str) -> u16 {
    let q = q.trim();
    let (whole, fraction) = q.split_once('.').unwrap_or((q, ""));
    let digits: String = fraction.chars().take(3).collect();
    match (whole, format!("{digits:0<3}").parse::<u16>()) {
        ("1", _) => 1000,
        ("0", Ok(f)) if digits.chars().all(|c| c.is_ascii_digit()) => f,
        _ => 0,
    }
}

/// Fluent's plural category of `n` in `lang`: English has one and other; Chinese only other.
pub fn plural_category(lang: Lang, n: i64) -> &'static str {
    match lang {
        Lang::En if n == 1 => "one",
        _ => "other",
    }
}

/// The messages, one function each (generated from `app/locales`).
#[allow(clippy::all)]
pub mod tr {
    use super::Lang;
    include!(concat!(env!("OUT_DIR"), "/tr.rs"));
}

/// A piece of a `server-*` message template (see [`from_english`]).
#[derive(Debug)]
pub enum Segment {
    Text(&'static str),
    Var(&'static str),
}

/// `text` in `lang`, when it is a refusal the engine or the rules crate worded in English from
/// one of the `server-*` messages (`app/locales/*/server.ftl`): the template is recognised, its
/// variables' values are taken out of the English (and translated themselves when they are
/// such a text too, e.g. the reason inside "Row 5: …"), and put into `lang`'s wording. English,
/// and a text no template matches, come back as they are.
pub fn from_english(lang: Lang, text: &str) -> String {
    translate_server(lang, text, 0).unwrap_or_else(|| text.to_string())
}

fn translate_server(lang: Lang, text: &str, depth: u8) -> Option<String> {
    let column = Lang::ALL.iter().position(|l| *l == lang)?.checked_sub(1)?;
    if depth > 2 {
        return None;
    }
    for (_, english, others) in tr::SERVER_TEMPLATES {
        let mut values = Vec::new();
        if !match_segments(english, text, &mut values) {
            continue;
        }
        let mut out = String::new();
        for segment in others.get(column)?.iter() {
            match segment {
                Segment::Text(t) => out.push_str(t),
                Segment::Var(name) => {
                    let value = values
                        .iter()
                        .find(|(n, _)| n == name)
                        .map_or("", |(_, v)| *v);
                    match translate_server(lang, value, depth + 1) {
                        Some(translated) => out.push_str(&translated),
                        None => out.push_str(value),
                    }
                }
            }
        }
        return Some(out);
    }
    None
}

/// Whether `text` is `segments` with some non-empty value for each variable; fills `values`.
fn match_segments<'t>(
    segments: &[Segment],
    text: &'t str,
    values: &mut Vec<(&'static str, &'t str)>,
) -> bool {
    match segments.split_first() {
        None => text.is_empty(),
        Some((Segment::Text(t), rest)) => text
            .strip_prefix(t)
            .is_some_and(|tail| match_segments(rest, tail, values)),
        Some((Segment::Var(name), rest)) => {
            // The value runs up to some later occurrence of what follows it; try each, shortest
            // first, so "Row {$row}: {$reason}" splits at the first ": ".
            let ends: Vec<usize> = match rest.first() {
                None => vec![text.len()],
                Some(Segment::Text(next)) => text.match_indices(next).map(|(i, _)| i).collect(),
                Some(Segment::Var(_)) => text.char_indices().map(|(i, _)| i).skip(1).collect(),
            };
            for end in ends.into_iter().filter(|&e| e > 0) {
                values.push((name, &text[..end]));
                if match_segments(rest, &text[end..], values) {
                    return true;
                }
                values.pop();
            }
            false
        }
    }
}

/// Makes the page's language available to every component below (called once, by `App`).
pub fn provide_lang() {
    provide_context(page_lang());
}

/// The language of the page being shown.
pub fn use_lang() -> Lang {
    use_context::<Lang>().unwrap_or_else(page_lang)
}

/// On the server: the request's language (see the module's notes).
#[cfg(feature = "ssr")]
pub fn page_lang() -> Lang {
    let Some(parts) = use_context::<http::request::Parts>() else {
        return Lang::En;
    };
    request_lang(
        &parts.headers,
        parts
            .extensions
            .get::<crate::auth::context::RequestContext>(),
    )
}

/// The language for a request: the signed-in person's choice, the cookie, `Accept-Language`.
#[cfg(feature = "ssr")]
pub fn request_lang(
    headers: &http::HeaderMap,
    ctx: Option<&crate::auth::context::RequestContext>,
) -> Lang {
    let chosen = ctx
        .and_then(|c| c.viewer.as_ref())
        .and_then(|v| v.language.as_deref())
        .and_then(Lang::from_tag);
    let header = |name| headers.get(name).and_then(|v| v.to_str().ok());
    chosen
        .or_else(|| header(http::header::COOKIE).and_then(Lang::from_cookies))
        .unwrap_or_else(|| {
            header(http::header::ACCEPT_LANGUAGE).map_or(Lang::En, Lang::from_accept_language)
        })
}

/// In the browser: the language the server rendered the page in (`<html lang>`).
#[cfg(not(feature = "ssr"))]
pub fn page_lang() -> Lang {
    document()
        .document_element()
        .and_then(|html| html.get_attribute("lang"))
        .and_then(|tag| Lang::from_tag(&tag))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_accept_language_by_quality() {
        assert_eq!(
            Lang::from_accept_language("zh-HK,zh;q=0.9,en;q=0.8"),
            Lang::ZhHant
        );
        assert_eq!(Lang::from_accept_language("en-GB,zh-TW;q=0.5"), Lang::En);
        assert_eq!(
            Lang::from_accept_language("fr-FR, zh-Hant;q=0.3"),
            Lang::ZhHant
        );
        assert_eq!(Lang::from_accept_language("fr, de;q=0.5"), Lang::En);
        assert_eq!(Lang::from_accept_language("zh;q=0, en;q=0.1"), Lang::En);
        assert_eq!(Lang::from_accept_language(""), Lang::En);
        assert_eq!(
            Lang::from_accept_language("en;q=0.2, zh;q=0.7"),
            Lang::ZhHant
        );
    }

    #[cfg(feature = "ssr")]
    #[test]
    fn reads_the_cookie_among_others() {
        assert_eq!(
            Lang::from_cookies("a=1; ferry_lang=zh-Hant; b=2"),
            Some(Lang::ZhHant)
        );
        assert_eq!(Lang::from_cookies("ferry_lang=xx"), None);
        assert_eq!(Lang::from_cookies("ferry_session=abc"), None);
    }

    #[test]
    fn translates_engine_refusals_by_their_template() {
        // From app/locales/*/server.ftl: a row template around the rules crate's reason.
        let text = "Row 7: the number is not a valid number in its country.";
        assert_eq!(from_english(Lang::En, text), text);
        assert_eq!(
            from_english(Lang::ZhHant, text),
            "第 7 行：此號碼並非其所屬國家或地區的有效號碼。"
        );
        assert_eq!(
            from_english(Lang::ZhHant, "no template says this"),
            "no template says this"
        );
    }

    #[test]
    fn tags_round_trip() {
        for lang in Lang::ALL {
            assert_eq!(Lang::from_tag(lang.tag()), Some(lang));
        }
    }

    /// Every message exists in both languages with the same variables. The build already
    /// refuses a catalogue that breaks this; this test reads the files itself so a broken
    /// build script cannot let one through.
    #[test]
    fn every_message_exists_in_every_language() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("locales");
        let ids = |tag: &str| -> std::collections::BTreeSet<String> {
            let mut ids = std::collections::BTreeSet::new();
            for entry in std::fs::read_dir(root.join(tag)).expect("locales directory") {
                let text = std::fs::read_to_string(entry.expect("entry").path()).expect("file");
                for line in text.lines() {
                    let Some((id, _)) = line.split_once('=') else {
                        continue;
                    };
                    let id = id.trim_end();
                    let starts_message = line.starts_with(|c: char| c.is_ascii_alphabetic());
                    if starts_message
                        && id
                            .chars()
                            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
                    {
                        ids.insert(id.to_string());
                    }
                }
            }
            ids
        };
        let english = ids("en");
        let chinese = ids("zh-Hant");
        let missing_in_chinese: Vec<_> = english.difference(&chinese).collect();
        let missing_in_english: Vec<_> = chinese.difference(&english).collect();
        assert!(
            missing_in_chinese.is_empty(),
            "missing in zh-Hant: {missing_in_chinese:?}"
        );
        assert!(
            missing_in_english.is_empty(),
            "missing in en: {missing_in_english:?}"
        );
        assert_eq!(
            english.len(),
            tr::IDS.len(),
            "the generated catalogue has every message"
        );
    }
}
