//! Sign-up input and its validation: every rejected field gets its own message, all at once.

use crate::error::{AppError, FieldErrors};
use crate::i18n::{tr, Lang};
use sms::Msisdn;

/// Hong Kong is the home market: a number typed without a country code is a Hong Kong number.
pub const DEFAULT_COUNTRY_CODE: u16 = 852;

pub struct SignupForm {
    pub login_name: String,
    pub password: String,
    pub password_confirmation: String,
    pub company_name: String,
    pub contact_email: String,
    pub mobile: String,
}

pub use engine::auth::{normalize_login_name, ValidSignup, MAX_PASSWORD_LEN, MIN_PASSWORD_LEN};

/// What is wrong with a (normalised) login name, in `lang`, if anything.
pub fn login_name_problem(lang: Lang, login: &str) -> Option<&'static str> {
    let len = login.chars().count();
    if len == 0 {
        return Some(tr::auth_error_login_name_empty(lang));
    }
    if !(3..=32).contains(&len)
        || !login
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '-' | '_'))
    {
        return Some(tr::auth_error_login_name_format(lang));
    }
    None
}

/// Checks a sign-up; the messages are in `lang`.
pub fn validate_signup(lang: Lang, form: SignupForm) -> Result<ValidSignup, AppError> {
    let mut errors = FieldErrors::default();
    let login_name = normalize_login_name(&form.login_name);
    if let Some(problem) = login_name_problem(lang, &login_name) {
        errors.add("login_name", problem);
    }

    let password_len = form.password.chars().count();
    if password_len < MIN_PASSWORD_LEN {
        errors.add(
            "password",
            tr::auth_error_password_short(lang, MIN_PASSWORD_LEN),
        );
    } else if password_len > MAX_PASSWORD_LEN {
        errors.add(
            "password",
            tr::auth_error_password_long(lang, MAX_PASSWORD_LEN),
        );
    } else if form.password.to_lowercase() == login_name {
        errors.add("password", tr::auth_error_password_is_login(lang));
    }
    if form.password_confirmation != form.password {
        errors.add(
            "password_confirmation",
            tr::auth_error_password_mismatch(lang),
        );
    }

    let company_name = form.company_name.trim().to_string();
    if company_name.is_empty() {
        errors.add("company_name", tr::auth_error_company_empty(lang));
    } else if company_name.chars().count() > 100 {
        errors.add("company_name", tr::auth_error_company_long(lang));
    }

    let contact_email = form.contact_email.trim().to_string();
    if !looks_like_email(&contact_email) {
        errors.add("contact_email", tr::auth_error_email(lang));
    }

    let mobile = match Msisdn::parse(&form.mobile, DEFAULT_COUNTRY_CODE) {
        Ok(m) => Some(m),
        Err(e) => {
            // The reason is the sms crate's English; `from_english` words it in `lang`.
            let problem = crate::i18n::from_english(lang, &e.to_string());
            errors.add("mobile", tr::auth_error_mobile(lang, problem));
            None
        }
    };

    errors.into_result()?;
    let Some(mobile) = mobile else {
        return Err(AppError::field("mobile", tr::auth_error_mobile_empty(lang)));
    };
    Ok(ValidSignup {
        login_name,
        password: form.password,
        company_name,
        contact_email,
        mobile,
    })
}

/// Deliberately loose: one `@`, something before it, a dotted domain after it. The real check
/// is that mail arrives; rejecting valid-but-unusual addresses would be worse than this.
fn looks_like_email(s: &str) -> bool {
    if s.len() > 254 || s.chars().any(char::is_whitespace) {
        return false;
    }
    match s.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && !domain.contains('@')
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form() -> SignupForm {
        SignupForm {
            login_name: " Acme.Ops ".into(),
            password: "correct horse battery".into(),
            password_confirmation: "correct horse battery".into(),
            company_name: "Acme Ltd".into(),
            contact_email: "ops@acme.example".into(),
            mobile: "9123 4567".into(),
        }
    }

    #[test]
    fn accepts_a_complete_signup_and_normalises_login_and_mobile() {
        let ok = validate_signup(Lang::En, form()).expect("valid");
        assert_eq!(ok.login_name, "acme.ops");
        assert_eq!(ok.mobile.as_str(), "85291234567");
    }

    #[test]
    fn reports_every_rejected_field_at_once() {
        let mut f = form();
        f.login_name = "a b".into();
        f.password = "short".into();
        f.password_confirmation = "other".into();
        f.company_name = "  ".into();
        f.contact_email = "not-an-email".into();
        f.mobile = "12".into();
        let err = validate_signup(Lang::En, f).expect_err("invalid");
        for field in [
            "login_name",
            "password",
            "password_confirmation",
            "company_name",
            "contact_email",
            "mobile",
        ] {
            assert!(
                err.message_for(field).is_some(),
                "no message for {field}: {err:?}"
            );
        }
    }

    #[test]
    fn rejects_password_equal_to_login_name() {
        let mut f = form();
        f.password = "acme.ops.ok".into();
        f.password_confirmation = f.password.clone();
        f.login_name = "acme.ops.ok".into();
        let err = validate_signup(Lang::En, f).expect_err("invalid");
        assert!(err.message_for("password").is_some());
    }
}
