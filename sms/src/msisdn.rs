//! Recipient phone numbers (spec §6).
//!
//! A [`Msisdn`] is a mobile number normalized to E.164 digits without `+` (`85291234567`).
//! Validation uses the `phonenumber` crate (a port of Google's libphonenumber with its numbering
//! plan metadata), not hand-written prefix rules: numbering plans change, and the metadata is
//! maintained upstream.
//!
//! Customers paste numbers in every shape (`+852 9123 4567`, `(852) 9123-4567`, `0086 138…`,
//! `9123 4567`); numbers without a country code take the batch's default country code.

use phonenumber::{country, metadata::DATABASE, Mode, PhoneNumber, Type};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::sync::atomic::{AtomicU8, Ordering};

/// Hong Kong's country calling code, the usual default.
pub const HONG_KONG_CODE: u16 = 852;
/// Mainland China's country calling code.
pub const CHINA_CODE: u16 = 86;

/// A valid mobile number in E.164 digits without `+`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Msisdn(String);

/// Why a number was refused; shown with its row in upload results.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MsisdnError {
    #[error("the number is empty")]
    Empty,
    #[error(
        "the number contains {0:?}; use only digits, spaces, brackets, dashes and a leading +"
    )]
    InvalidCharacter(char),
    #[error("the number is too short")]
    TooShort,
    #[error("the number is too long")]
    TooLong,
    #[error("the country code is not recognised")]
    UnknownCountryCode,
    #[error("{0} is not a known default country code")]
    UnknownDefaultCountry(u16),
    #[error("the number is not a valid number in its country")]
    Invalid,
    #[error("the number is a landline or service number, which cannot receive SMS")]
    NotMobile,
}

/// Where a number is: this decides the route (spec §5). Macau (853) is international.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Destination {
    HongKong,
    China,
    International,
}

impl Msisdn {
    /// Parses a customer-typed number. `default_country_code` (e.g. 852) applies when the
    /// number has no country code of its own.
    ///
    /// A leading `00` is read as the international prefix (as dialled from Hong Kong, China and
    /// most countries) before trying the default country's own dialling rules, because
    /// libphonenumber's Hong Kong rules read `0086…` as the carrier prefix `008` + `6…`.
    pub fn parse(input: &str, default_country_code: u16) -> Result<Msisdn, MsisdnError> {
        let cleaned = clean(input)?;
        let region = region_for_code(default_country_code)
            .ok_or(MsisdnError::UnknownDefaultCountry(default_country_code))?;
        if let Some(shape) = HongKongShape::of(&cleaned, default_country_code) {
            return shape.verdict(|| Msisdn::parse_slowly(&cleaned, region));
        }
        Msisdn::parse_slowly(&cleaned, region)
    }

    /// [`Msisdn::parse`] by libphonenumber, for a `cleaned` number and the default's region.
    fn parse_slowly(cleaned: &str, region: country::Id) -> Result<Msisdn, MsisdnError> {
        if let Some(rest) = cleaned.strip_prefix("00") {
            if let Ok(m) = Msisdn::from_parsed(parse(Some(region), &format!("+{rest}"))) {
                return Ok(m);
            }
        }
        let local = Msisdn::from_parsed(parse(Some(region), cleaned));
        // "8613800138000" with default 852: written with a foreign country code but no "+".
        // Only tried for 10+ digits after the default country failed, so a mistyped local
        // number (8 or 9 digits in Hong Kong) is never reinterpreted as a foreign one.
        let digits = cleaned.bytes().filter(u8::is_ascii_digit).count();
        if local.is_err() && digits >= 10 && !cleaned.starts_with(['+', '0']) {
            if let Ok(m) = Msisdn::from_parsed(parse(None, &format!("+{cleaned}"))) {
                return Ok(m);
            }
        }
        local
    }

    /// Parses a number that must carry its own country code (`+85291234567` or `85291234567`),
    /// as for a numeric sender ID or an API that requires international format.
    pub fn parse_international(input: &str) -> Result<Msisdn, MsisdnError> {
        let cleaned = clean(input)?;
        let digits = cleaned.strip_prefix('+').unwrap_or(&cleaned);
        Msisdn::from_parsed(parse(None, &format!("+{digits}")))
    }

    fn from_parsed(parsed: Result<PhoneNumber, MsisdnError>) -> Result<Msisdn, MsisdnError> {
        let number = parsed?;
        // `PhoneNumber::is_valid` runs the same patterns as `number_type`, on the national
        // number written with its leading zeros where `number_type` drops them: without
        // leading zeros (nearly every number) it is "the type is known", and asking both ran
        // every pattern twice, a third of a number's parse.
        let kind = number.number_type(&DATABASE);
        let valid = if number.national().zeros() == 0 {
            kind != Type::Unknown
        } else {
            number.is_valid()
        };
        if !valid {
            return Err(MsisdnError::Invalid);
        }
        if !can_receive_sms(kind) {
            return Err(MsisdnError::NotMobile);
        }
        let e164 = number.format().mode(Mode::E164).to_string();
        let digits = e164.strip_prefix('+').unwrap_or(&e164);
        Ok(Msisdn(digits.to_string()))
    }

    /// E.164 digits without `+`, e.g. `85291234567`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The country calling code (852 for Hong Kong, 86 for China).
    /// 0 only for a stored number whose code the metadata no longer knows.
    pub fn country_code(&self) -> u16 {
        country_code_prefix(&self.0).unwrap_or(0)
    }

    /// Hong Kong, mainland China, or anywhere else (Macau included).
    pub fn destination(&self) -> Destination {
        Destination::of_digits(&self.0)
    }
}

impl Destination {
    /// Where E.164 `digits` (no `+`) go, by their country code alone. Calling codes are
    /// prefix-free, so "852…" can only be Hong Kong and "86…" only China; the browser uses
    /// this on numbers it has not validated, the server on numbers it has.
    pub fn of_digits(digits: &str) -> Destination {
        if digits.starts_with("852") {
            Destination::HongKong
        } else if digits.starts_with("86") {
            Destination::China
        } else {
            Destination::International
        }
    }
}

/// The country calling code that `digits` (E.164 without `+`) starts with, if any.
/// Country codes are prefix-free (ITU-T E.164), so at most one of the first 1–3 digits matches.
pub fn country_code_prefix(digits: &str) -> Option<u16> {
    (1..=3)
        .filter_map(|n| digits.get(..n)?.parse::<u16>().ok())
        .find(|code| DATABASE.by_code(code).is_some())
}

/// Whether numbers without a country code can be read as `code`'s (852, 86, 1, …): exactly
/// when [`Msisdn::parse`] would not refuse the default with
/// [`MsisdnError::UnknownDefaultCountry`], without parsing a number to find out.
pub fn is_known_country_code(code: u16) -> bool {
    region_for_code(code).is_some()
}

/// Whether `digits` has the *shape* of an international mobile number: a known country code
/// followed by a national number of a length that country's mobile numbers can have.
///
/// Weaker than [`Msisdn::parse_international`], which also needs the number range to be
/// allocated: used where a number is an identity rather than a recipient (numeric sender IDs),
/// so that a newly opened range is not refused by older metadata.
pub fn is_possible_mobile(digits: &str) -> bool {
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    let Some(code) = country_code_prefix(digits) else {
        return false;
    };
    let national_len = digits.len() - code.to_string().len();
    let Ok(national_len) = u16::try_from(national_len) else {
        return false;
    };
    DATABASE.by_code(&code).is_some_and(|regions| {
        regions.iter().any(|m| {
            let lengths = m
                .descriptors()
                .mobile()
                .map(|d| d.possible_length())
                .filter(|l| !l.is_empty())
                .unwrap_or_else(|| m.descriptors().general().possible_length());
            lengths.contains(&national_len)
        })
    })
}

/// The shapes nearly every Hong Kong number is written in, once [`clean`]ed: the 8-digit
/// national number (first digit 2-9) alone with 852 as the default, after `+852`, or after
/// `852` with 852 as the default.
///
/// For these, libphonenumber's verdict depends only on the national number's first four
/// digits: every 8-digit pattern in Hong Kong's metadata (mobile, fixed line, pager,
/// personal, UAN, ...) is a prefix of at most four digits followed by `\d{4}` or `\d{5}`. So
/// [`Msisdn::parse`] asks libphonenumber once per prefix and shape (its regular expressions,
/// behind one process-wide lock in the `phonenumber` crate, were the largest part of an API
/// send's own work) and reuses the verdict. `tests::hong_kong_shapes_agree_with_libphonenumber`
/// compares both on every prefix with every fifth digit, so metadata that one day looks
/// further into the number fails that test rather than changing a verdict.
#[derive(Clone, Copy)]
struct HongKongShape<'a> {
    /// Index into [`HONG_KONG_VERDICTS`].
    shape: usize,
    /// The 8 national digits.
    national: &'a str,
}

/// Per shape, per 4-digit prefix: 0 not asked yet, 1 valid, otherwise
/// [`HongKongShape::REFUSALS`]`[v - 2]`. Atomics rather than a lock: two threads that ask
/// about the same prefix at once both compute, and store, the same verdict.
static HONG_KONG_VERDICTS: [[AtomicU8; 10_000]; 3] =
    [const { [const { AtomicU8::new(0) }; 10_000] }; 3];

impl<'a> HongKongShape<'a> {
    /// The refusals a whole prefix can get (none of them carries a part of the number).
    const REFUSALS: [MsisdnError; 5] = [
        MsisdnError::Invalid,
        MsisdnError::NotMobile,
        MsisdnError::TooShort,
        MsisdnError::TooLong,
        MsisdnError::UnknownCountryCode,
    ];

    fn of(cleaned: &'a str, default_country_code: u16) -> Option<HongKongShape<'a>> {
        let (shape, national) = match cleaned.strip_prefix("+852") {
            Some(national) => (0, national),
            None if default_country_code != HONG_KONG_CODE => return None,
            None => match cleaned.strip_prefix("852") {
                Some(national) if national.len() == 8 => (1, national),
                _ => (2, cleaned),
            },
        };
        let digits = national.as_bytes();
        (digits.len() == 8 && digits.iter().all(u8::is_ascii_digit) && digits[0] >= b'2')
            .then_some(HongKongShape { shape, national })
    }

    /// The verdict on this number: remembered for its prefix, or `parse`'s, then remembered.
    fn verdict(
        self,
        parse: impl FnOnce() -> Result<Msisdn, MsisdnError>,
    ) -> Result<Msisdn, MsisdnError> {
        let prefix = self.national.as_bytes()[..4]
            .iter()
            .fold(0, |n, d| n * 10 + usize::from(d - b'0'));
        let slot = &HONG_KONG_VERDICTS[self.shape][prefix];
        let number = || Msisdn(format!("852{}", self.national));
        match slot.load(Ordering::Relaxed) {
            0 => {}
            1 => return Ok(number()),
            v => return Err(Self::REFUSALS[usize::from(v - 2)].clone()),
        }
        let result = parse();
        let code = match &result {
            Ok(m) if *m == number() => Some(1),
            Ok(_) => None,
            Err(e) => Self::REFUSALS
                .iter()
                .position(|r| r == e)
                .and_then(|i| u8::try_from(i + 2).ok()),
        };
        // A verdict of any other kind (none is known) is not remembered.
        if let Some(code) = code {
            slot.store(code, Ordering::Relaxed);
        }
        result
    }
}

/// Types that can take an SMS. `FixedLineOrMobile` is kept because some plans (e.g. the US)
/// cannot tell the two apart; `Unknown` is kept so a valid number of an unusual type is not lost.
fn can_receive_sms(kind: Type) -> bool {
    matches!(
        kind,
        Type::Mobile
            | Type::FixedLineOrMobile
            | Type::PersonalNumber
            | Type::Voip
            | Type::Pager
            | Type::Unknown
    )
}

/// Removes the punctuation people write numbers with, and refuses anything else (letters
/// especially: libphonenumber would read `1-800-FLOWERS` as digits, which is never what a
/// recipient list means).
fn clean(input: &str) -> Result<String, MsisdnError> {
    let trimmed = input.trim();
    if trimmed.is_empty() {
        return Err(MsisdnError::Empty);
    }
    let mut out = String::with_capacity(trimmed.len());
    for (i, c) in trimmed.chars().enumerate() {
        match c {
            '0'..='9' => out.push(c),
            // Full-width digits come from Chinese input methods.
            '０'..='９' => out.push(char::from(b'0' + (c as u32 - '０' as u32) as u8)),
            '+' | '＋' if i == 0 => out.push('+'),
            ' '
            | '\u{00A0}'
            | '\u{3000}'
            | '-'
            | '.'
            | '('
            | ')'
            | '/'
            | '\u{2010}'..='\u{2015}' => {}
            _ => return Err(MsisdnError::InvalidCharacter(c)),
        }
    }
    let digits = out.chars().filter(char::is_ascii_digit).count();
    if digits == 0 {
        return Err(MsisdnError::Empty);
    }
    // E.164 allows 15 digits; a local number with an IDD prefix may have a few more.
    if digits > 18 {
        return Err(MsisdnError::TooLong);
    }
    Ok(out)
}

fn parse(region: Option<country::Id>, text: &str) -> Result<PhoneNumber, MsisdnError> {
    use phonenumber::ParseError as E;
    phonenumber::parse(region, text).map_err(|e| match e {
        E::InvalidCountryCode => MsisdnError::UnknownCountryCode,
        E::TooLong => MsisdnError::TooLong,
        E::NoNumber | E::TooShortAfterIdd | E::TooShortNsn => MsisdnError::TooShort,
        _ => MsisdnError::Invalid,
    })
}

/// The main region of a calling code (852 → HK, 1 → US), as libphonenumber parses by region.
fn region_for_code(code: u16) -> Option<country::Id> {
    let regions = DATABASE.by_code(&code)?;
    let main = regions
        .iter()
        .find(|m| m.is_main_country_for_code())
        .or_else(|| regions.first())?;
    main.id().parse().ok()
}

impl fmt::Display for Msisdn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for Msisdn {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

/// Reading back a stored number only checks its shape (digits, E.164 length, no leading zero):
/// it was fully validated when first parsed, and re-validating against newer numbering-plan
/// metadata must not make old records unreadable.
impl TryFrom<String> for Msisdn {
    type Error = MsisdnError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        if s.is_empty() {
            return Err(MsisdnError::Empty);
        }
        if let Some(c) = s.chars().find(|c| !c.is_ascii_digit()) {
            return Err(MsisdnError::InvalidCharacter(c));
        }
        if s.starts_with('0') {
            return Err(MsisdnError::UnknownCountryCode);
        }
        match s.len() {
            0..=6 => Err(MsisdnError::TooShort),
            7..=15 => Ok(Msisdn(s)),
            _ => Err(MsisdnError::TooLong),
        }
    }
}

impl From<Msisdn> for String {
    fn from(m: Msisdn) -> String {
        m.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hk(input: &str) -> Result<String, MsisdnError> {
        Msisdn::parse(input, HONG_KONG_CODE).map(String::from)
    }

    /// [`HongKongShape`]'s remembered verdicts against libphonenumber's own, for every
    /// 4-digit prefix with every fifth digit, in every shape: a number that differs from the
    /// one its prefix's verdict was learnt from only in a later digit must get the same one.
    #[test]
    fn hong_kong_shapes_agree_with_libphonenumber() {
        let hk = region_for_code(HONG_KONG_CODE).expect("852");
        let cn = region_for_code(CHINA_CODE).expect("86");
        let suffixes = [
            "0000", "1999", "2468", "3057", "4999", "5000", "6789", "7310", "8642", "9999",
        ];
        let mut checked = 0;
        for prefix in 2000..=9999 {
            for suffix in suffixes {
                let national = format!("{prefix}{suffix}");
                for (input, default, region) in [
                    (national.clone(), HONG_KONG_CODE, hk),
                    (format!("852{national}"), HONG_KONG_CODE, hk),
                    (format!("+852{national}"), HONG_KONG_CODE, hk),
                    (format!("+852{national}"), CHINA_CODE, cn),
                ] {
                    assert!(HongKongShape::of(&input, default).is_some(), "{input}");
                    assert_eq!(
                        Msisdn::parse(&input, default),
                        Msisdn::parse_slowly(&input, region),
                        "{input} (default {default})"
                    );
                    checked += 1;
                }
            }
        }
        assert_eq!(checked, 8_000 * suffixes.len() * 4);
    }

    #[test]
    fn other_shapes_are_not_taken_for_hong_kong_ones() {
        for (input, default) in [
            ("1234567", HONG_KONG_CODE),      // 7 digits
            ("912345678", HONG_KONG_CODE),    // 9 digits
            ("12345678", HONG_KONG_CODE),     // starts with 1
            ("91234567", CHINA_CODE),         // no country code, another default
            ("85291234567", CHINA_CODE),      // 852 without + is only HK's when HK is the default
            ("+85312345678", HONG_KONG_CODE), // Macau
            ("00852 9123 4567", HONG_KONG_CODE),
        ] {
            let cleaned = clean(input).expect("cleans");
            assert!(HongKongShape::of(&cleaned, default).is_none(), "{input}");
        }
    }

    #[test]
    fn common_hong_kong_forms_normalize_to_e164_digits() {
        for input in [
            "+852 9123 4567",
            "85291234567",
            "9123 4567",
            "91234567",
            "(852) 9123-4567",
            "+852-9123-4567",
            "00852 9123 4567",
            " 9123\u{00A0}4567 ",
            "９１２３４５６７",
        ] {
            assert_eq!(hk(input).as_deref(), Ok("85291234567"), "{input:?}");
        }
    }

    #[test]
    fn china_numbers_with_00_or_plus_normalize() {
        for input in ["0086 138 0013 8000", "+86 138 0013 8000", "8613800138000"] {
            assert_eq!(hk(input).as_deref(), Ok("8613800138000"), "{input:?}");
        }
    }

    #[test]
    fn the_default_country_code_applies_to_local_numbers() {
        assert_eq!(
            Msisdn::parse("138 0013 8000", CHINA_CODE).map(String::from),
            Ok("8613800138000".into())
        );
        assert_eq!(
            Msisdn::parse("07911 123456", 44).map(String::from),
            Ok("447911123456".into())
        );
        assert_eq!(
            Msisdn::parse("6612 3456", 853).map(String::from),
            Ok("85366123456".into())
        );
    }

    #[test]
    fn invalid_numbers_are_refused_with_a_reason() {
        assert_eq!(hk(""), Err(MsisdnError::Empty));
        assert_eq!(hk("   "), Err(MsisdnError::Empty));
        assert_eq!(hk("---"), Err(MsisdnError::Empty));
        assert_eq!(hk("9123 456a"), Err(MsisdnError::InvalidCharacter('a')));
        assert_eq!(hk("1-800-FLOWERS"), Err(MsisdnError::InvalidCharacter('F')));
        assert_eq!(hk("9+1234567"), Err(MsisdnError::InvalidCharacter('+')));
        assert!(hk("12").is_err());
        assert_eq!(hk("9123 45678"), Err(MsisdnError::Invalid));
        assert_eq!(hk("1234 5678"), Err(MsisdnError::Invalid));
        assert_eq!(hk("1234567890123456789"), Err(MsisdnError::TooLong));
        assert_eq!(
            Msisdn::parse("9123 4567", 999),
            Err(MsisdnError::UnknownDefaultCountry(999))
        );
    }

    #[test]
    fn a_national_number_with_a_leading_zero_is_judged_with_its_zero() {
        // libphonenumber keeps an "Italian leading zero" after +852; without the zero this
        // would be a valid mobile number, with it it is not one.
        assert_eq!(
            Msisdn::parse_international("+852 091234567"),
            Err(MsisdnError::Invalid)
        );
    }

    #[test]
    fn a_country_code_is_known_exactly_when_parse_accepts_it_as_the_default() {
        for code in 0..1_000u16 {
            let refused =
                Msisdn::parse("12345678", code) == Err(MsisdnError::UnknownDefaultCountry(code));
            assert_eq!(is_known_country_code(code), !refused, "code {code}");
        }
        assert!(is_known_country_code(HONG_KONG_CODE) && is_known_country_code(CHINA_CODE));
        assert!(!is_known_country_code(999));
    }

    /// `from_parsed` asks for the number's type once and reads "unknown" as invalid, instead of
    /// asking `is_valid` first, for numbers without leading zeros (those with them still ask
    /// `is_valid`, which reads the zeros): the same answer, checked here over many numbers of
    /// every length in the countries customers send to and a few others.
    #[test]
    fn a_number_is_valid_exactly_when_its_type_is_known() {
        let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let (mut valid, mut invalid) = (0, 0);
        for code in [852u16, 86, 853, 886, 1, 44, 65, 61, 81, 979] {
            for _ in 0..2_000 {
                let len = 4 + (next() % 11) as usize;
                let national: String = (0..len)
                    .map(|_| char::from(b'0' + (next() % 10) as u8))
                    .collect();
                let Ok(number) = phonenumber::parse(None, format!("+{code}{national}")) else {
                    continue;
                };
                let known = number.number_type(&DATABASE) != Type::Unknown;
                if number.national().zeros() == 0 {
                    assert_eq!(number.is_valid(), known, "+{code} {national}");
                }
                if number.is_valid() {
                    valid += 1;
                } else {
                    invalid += 1;
                }
            }
        }
        // Both answers were seen many times, so the comparison covered both.
        assert!(
            valid > 500 && invalid > 500,
            "{valid} valid, {invalid} invalid"
        );
    }

    #[test]
    fn landlines_are_refused_because_they_cannot_receive_sms() {
        // 2xxx xxxx is a Hong Kong fixed line.
        assert_eq!(hk("2123 4567"), Err(MsisdnError::NotMobile));
        assert_eq!(
            hk("2123 4567").unwrap_err().to_string(),
            "the number is a landline or service number, which cannot receive SMS"
        );
    }

    #[test]
    fn destination_follows_the_country_code() {
        let d = |s: &str| Msisdn::parse(s, HONG_KONG_CODE).map(|m| m.destination());
        assert_eq!(d("9123 4567"), Ok(Destination::HongKong));
        assert_eq!(d("+86 138 0013 8000"), Ok(Destination::China));
        assert_eq!(d("+853 6612 3456"), Ok(Destination::International));
        assert_eq!(d("+44 7911 123456"), Ok(Destination::International));
    }

    #[test]
    fn country_code_is_read_from_the_digits() {
        let cc = |s: &str| Msisdn::parse(s, HONG_KONG_CODE).map(|m| m.country_code());
        assert_eq!(cc("9123 4567"), Ok(852));
        assert_eq!(cc("+86 138 0013 8000"), Ok(86));
        assert_eq!(cc("+1 201 555 0123"), Ok(1));
        assert_eq!(cc("+44 7911 123456"), Ok(44));
    }

    #[test]
    fn international_parsing_requires_a_country_code() {
        assert_eq!(
            Msisdn::parse_international("85291234567").map(String::from),
            Ok("85291234567".into())
        );
        assert_eq!(
            Msisdn::parse_international("+85291234567").map(String::from),
            Ok("85291234567".into())
        );
        assert!(Msisdn::parse_international("99887766").is_err());
    }

    #[test]
    fn a_foreign_code_without_plus_is_read_only_for_long_numbers() {
        assert_eq!(hk("853 6612 3456").as_deref(), Ok("85366123456"));
        // 9 digits: a mistyped Hong Kong number, not a foreign one.
        assert_eq!(hk("912 345 678"), Err(MsisdnError::Invalid));
    }

    #[test]
    fn possible_mobile_checks_shape_not_allocation() {
        assert!(is_possible_mobile("85299887766"));
        assert!(is_possible_mobile("8613800138000"));
        assert!(!is_possible_mobile("8529988776"));
        assert!(!is_possible_mobile("12345"));
        assert!(!is_possible_mobile("0852"));
        assert!(!is_possible_mobile("85299887766x"));
        assert_eq!(country_code_prefix("447911123456"), Some(44));
        assert_eq!(country_code_prefix("0"), None);
    }

    #[test]
    fn stored_numbers_deserialize_by_shape() {
        assert!(serde_json::from_str::<Msisdn>("\"85291234567\"").is_ok());
        assert!(serde_json::from_str::<Msisdn>("\"+85291234567\"").is_err());
        assert!(serde_json::from_str::<Msisdn>("\"0852\"").is_err());
        assert!(serde_json::from_str::<Msisdn>("\"1234567890123456\"").is_err());
        let m = Msisdn::parse("9123 4567", HONG_KONG_CODE).expect("valid");
        assert_eq!(
            serde_json::to_string(&m).ok().as_deref(),
            Some("\"85291234567\"")
        );
    }
}
