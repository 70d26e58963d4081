//! Normalising tens of thousands of numbers quickly, with exactly `Msisdn::parse`'s results.
//!
//! `Msisdn::parse` runs libphonenumber's regular expressions for every number. A Hong Kong
//! list is almost all plain 8-digit local numbers, and for those libphonenumber's verdict
//! depends only on the first four digits: every 8-digit pattern in Hong Kong's metadata
//! (mobile, fixed line, pager, personal, UAN) is a prefix of at most four digits followed by
//! `\d{4}` or `\d{5}`. So the verdict for `DDDDxxxx` is computed once per prefix with
//! `Msisdn::parse` itself and reused. `tests::fast_path_agrees_with_msisdn_parse_on_every_prefix`
//! compares both on every prefix; anything else (other lengths, punctuation, `+`, other
//! default countries) goes to `Msisdn::parse` directly.

use sms::Msisdn;

pub struct Normalizer {
    default_country_code: u16,
    /// Verdict per 4-digit prefix of 8-digit Hong Kong numbers: `None` until first needed.
    hk_prefixes: Vec<Option<Result<(), String>>>,
}

impl Normalizer {
    /// `None` when the default country code is unknown.
    pub fn new(default_country_code: u16) -> Option<Normalizer> {
        if !sms::msisdn::is_known_country_code(default_country_code) {
            return None;
        }
        Some(Normalizer {
            default_country_code,
            hk_prefixes: vec![None; 10_000],
        })
    }

    /// The number as E.164 digits, or why it was refused (the same words as `Msisdn::parse`).
    pub fn normalize(&mut self, input: &str) -> Result<String, String> {
        let bytes = input.as_bytes();
        if self.default_country_code == sms::msisdn::HONG_KONG_CODE
            && bytes.len() == 8
            && (b'2'..=b'9').contains(&bytes[0])
            && bytes.iter().all(u8::is_ascii_digit)
        {
            let prefix = bytes[..4]
                .iter()
                .fold(0usize, |n, b| n * 10 + usize::from(b - b'0'));
            let verdict = self.hk_prefixes[prefix].get_or_insert_with(|| {
                Msisdn::parse(&format!("{}0000", &input[..4]), 852)
                    .map(|_| ())
                    .map_err(|e| e.to_string())
            });
            return match verdict {
                Ok(()) => Ok(format!("852{input}")),
                Err(reason) => Err(reason.clone()),
            };
        }
        Msisdn::parse(input, self.default_country_code)
            .map(String::from)
            .map_err(|e| e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fast_path_agrees_with_msisdn_parse_on_every_prefix() {
        let mut n = Normalizer::new(852).expect("852");
        // Several suffixes per prefix, including both ends of the range, so a pattern that
        // looked at a fifth digit would show up as a disagreement.
        let suffixes = [
            "0000", "9999", "5000", "4999", "1234", "8765", "0909", "9090",
        ];
        let mut checked = 0;
        for prefix in 2000..=9999 {
            for suffix in suffixes {
                let input = format!("{prefix}{suffix}");
                let slow = Msisdn::parse(&input, 852)
                    .map(String::from)
                    .map_err(|e| e.to_string());
                assert_eq!(n.normalize(&input), slow, "{input}");
                checked += 1;
            }
        }
        assert_eq!(checked, 8_000 * suffixes.len());
    }

    #[test]
    fn other_shapes_and_countries_go_through_msisdn_parse() {
        let mut n = Normalizer::new(852).expect("852");
        for input in [
            "+852 9123 4567",
            "0086 138 0013 8000",
            "12345678",
            "abc",
            "9123456",
        ] {
            assert_eq!(
                n.normalize(input),
                Msisdn::parse(input, 852)
                    .map(String::from)
                    .map_err(|e| e.to_string()),
                "{input}"
            );
        }
        let mut cn = Normalizer::new(86).expect("86");
        assert_eq!(cn.normalize("13800138000").as_deref(), Ok("8613800138000"));
        assert!(Normalizer::new(999).is_none());
    }
}
