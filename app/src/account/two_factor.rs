//! `/account/two-factor`: setting up sign-in with an authenticator app (§13). Staff must do it
//! before anything else (every staff page sends them here until they have); customers may.

use crate::auth::Session;
use crate::error::AppError;
use crate::i18n::{tr, use_lang};
use crate::shell::RequireViewer;
use crate::ui::{
    action_error, field_error, FormError, Notice, NoticeKind, PageHeader, SubmitButton, TextField,
};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TwoFactorStatus {
    pub enabled: bool,
    pub recovery_codes_left: i64,
    pub is_staff: bool,
}

/// A secret being set up, as the page shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TwoFactorSetup {
    /// Base32, in groups of four, for typing into the app.
    pub secret: String,
    /// The `otpauth://` URI as a QR code: an SVG in a `data:` URI.
    pub qr_code: String,
}

#[server(endpoint = "two_factor_state")]
pub async fn two_factor_state() -> Result<TwoFactorStatus, AppError> {
    crate::auth::context::as_viewer(|viewer, db| async move {
        let status = engine::auth::two_factor::status(&db, viewer.account_id).await?;
        Ok(TwoFactorStatus {
            enabled: status.enabled,
            recovery_codes_left: status.recovery_codes_left,
            is_staff: viewer.is_staff(),
        })
    })
    .await
}

#[server(endpoint = "two_factor_begin")]
pub async fn begin_two_factor() -> Result<TwoFactorSetup, AppError> {
    crate::auth::context::as_viewer(|viewer, db| async move {
        let enrollment = engine::auth::two_factor::begin(&db, viewer.account_id).await?;
        Ok(TwoFactorSetup {
            secret: enrollment.secret,
            qr_code: qr_data_uri(&enrollment.uri)?,
        })
    })
    .await
}

/// Puts the new secret in force; returns the recovery codes, shown this once.
#[server(endpoint = "two_factor_confirm")]
pub async fn confirm_two_factor(code: String) -> Result<Vec<String>, AppError> {
    crate::auth::context::as_viewer(|viewer, db| async move {
        Ok(engine::auth::two_factor::confirm(&db, viewer.account_id, &code).await?)
    })
    .await
}

#[server(endpoint = "two_factor_disable")]
pub async fn disable_two_factor(code: String) -> Result<(), AppError> {
    crate::auth::context::as_viewer(|viewer, db| async move {
        Ok(
            engine::auth::two_factor::disable(&db, viewer.account_id, viewer.is_staff(), &code)
                .await?,
        )
    })
    .await
}

#[cfg(feature = "ssr")]
fn qr_data_uri(text: &str) -> Result<String, AppError> {
    use base64::Engine as _;
    let code =
        qrcode::QrCode::new(text.as_bytes()).map_err(|e| AppError::internal("QR code", e))?;
    let svg = code
        .render::<qrcode::render::svg::Color>()
        .min_dimensions(200, 200)
        .quiet_zone(true)
        .build();
    Ok(format!(
        "data:image/svg+xml;base64,{}",
        base64::engine::general_purpose::STANDARD.encode(svg)
    ))
}

#[component]
pub fn TwoFactorPage() -> impl IntoView {
    let lang = use_lang();
    view! { <RequireViewer title=tr::account_two_factor_title(lang)><TwoFactorSettings/></RequireViewer> }
}

#[component]
fn TwoFactorSettings() -> impl IntoView {
    let session = Session::expect();
    let lang = use_lang();
    let begin = ServerAction::<BeginTwoFactor>::new();
    let confirm = ServerAction::<ConfirmTwoFactor>::new();
    let disable = ServerAction::<DisableTwoFactor>::new();
    let state = Resource::new(
        move || (confirm.version().get(), disable.version().get()),
        |_| two_factor_state(),
    );
    // The staff guards read the viewer. Refetching it re-renders this page (it sits inside
    // the viewer's Suspense) and would drop the recovery codes being shown, so after set-up
    // the way on is a full page load (`rel="external"` below); after turning it off, at once.
    Effect::new(move |_| {
        if matches!(disable.value().get(), Some(Ok(()))) {
            session.viewer.refetch();
        }
    });
    let confirmed = move || matches!(confirm.value().get(), Some(Ok(_)));
    view! {
        <PageHeader
            title=tr::account_two_factor_title(lang)
            subtitle=tr::account_two_factor_subtitle(lang)
        />
        {crate::ui::loaded(tr::account_two_factor_loading(lang), state, move |s| view! { <StatusCard state=s begin disable/> })}
        {move || (!confirmed()).then(|| match begin.value().get() {
            Some(Ok(setup)) => view! { <SetupCard setup confirm/> }.into_any(),
            Some(Err(e)) => view! { <Notice kind=NoticeKind::Error>{e.localized(crate::i18n::use_lang())}</Notice> }.into_any(),
            None => ().into_any(),
        })}
        {move || match confirm.value().get() {
            Some(Ok(codes)) => view! { <RecoveryCodes codes/> }.into_any(),
            _ => ().into_any(),
        }}
    }
}

#[component]
fn StatusCard(
    state: TwoFactorStatus,
    begin: ServerAction<BeginTwoFactor>,
    disable: ServerAction<DisableTwoFactor>,
) -> impl IntoView {
    let lang = use_lang();
    let disable_value = disable.value();
    let begin_label = if state.enabled {
        tr::account_two_factor_replace(lang)
    } else {
        tr::account_two_factor_set_up(lang)
    };
    view! {
        <section class="card" aria-labelledby="two-factor-heading">
            <h2 id="two-factor-heading">{tr::account_two_factor_status(lang)}</h2>
            {if state.enabled {
                view! {
                    <p data-testid="two-factor-status">
                        {tr::account_two_factor_on(lang, state.recovery_codes_left)}
                    </p>
                }.into_any()
            } else if state.is_staff {
                view! {
                    <Notice kind=NoticeKind::Info>
                        {tr::account_two_factor_staff(lang)}
                    </Notice>
                }.into_any()
            } else {
                view! { <p data-testid="two-factor-status">{tr::account_two_factor_off(lang)}</p> }.into_any()
            }}
            <ActionForm action=begin attr:class="form-inline">
                <SubmitButton label=begin_label pending_label=tr::account_two_factor_preparing(lang) pending=begin.pending()/>
            </ActionForm>
            {(state.enabled && !state.is_staff).then(|| view! {
                <h3>{tr::account_two_factor_turn_off_heading(lang)}</h3>
                <ActionForm action=disable attr:class="form" attr:novalidate=true>
                    <FormError error=action_error(disable_value)/>
                    <TextField label=tr::account_two_factor_off_code(lang) name="code" autocomplete="one-time-code" hint=tr::account_two_factor_off_code_hint(lang) error=field_error(disable_value, "code")/>
                    <button type="submit" class="button button-quiet" disabled=move || disable.pending().get()>{tr::account_two_factor_turn_off(lang)}</button>
                </ActionForm>
            })}
        </section>
    }
}

#[component]
fn SetupCard(setup: TwoFactorSetup, confirm: ServerAction<ConfirmTwoFactor>) -> impl IntoView {
    let lang = use_lang();
    let value = confirm.value();
    view! {
        <section class="card" aria-labelledby="setup-heading">
            <h2 id="setup-heading">{tr::account_two_factor_setup_heading(lang)}</h2>
            <ol class="steps">
                <li>{tr::account_two_factor_step_open(lang)}</li>
                <li>{tr::account_two_factor_step_scan(lang)}</li>
                <li>{tr::account_two_factor_step_enter(lang)}</li>
            </ol>
            <img class="qr-code" src=setup.qr_code alt=tr::account_two_factor_qr_alt(lang) width="200" height="200"/>
            <p>{tr::account_two_factor_key(lang)} <code data-testid="totp-secret">{setup.secret}</code></p>
            <ActionForm action=confirm attr:class="form" attr:novalidate=true>
                <FormError error=action_error(value)/>
                <TextField label=tr::account_two_factor_app_code(lang) name="code" autocomplete="one-time-code" required=true error=field_error(value, "code")/>
                <SubmitButton label=tr::account_two_factor_confirm(lang) pending_label=tr::account_checking(lang) pending=confirm.pending()/>
            </ActionForm>
        </section>
    }
}

#[component]
fn RecoveryCodes(codes: Vec<String>) -> impl IntoView {
    let session = Session::expect();
    let lang = use_lang();
    view! {
        <section class="card" aria-labelledby="recovery-heading">
            <h2 id="recovery-heading">{tr::account_two_factor_done_heading(lang)}</h2>
            <Notice kind=NoticeKind::Success>
                {tr::account_two_factor_save_codes(lang)}
            </Notice>
            <ul class="recovery-codes" data-testid="recovery-codes">
                {codes.into_iter().map(|c| view! { <li><code>{c}</code></li> }).collect_view()}
            </ul>
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    let staff = matches!(session.viewer.await, Ok(Some(v)) if v.is_staff());
                    let (href, label) = if staff {
                        ("/admin", tr::account_two_factor_continue_admin(lang))
                    } else {
                        ("/account", tr::account_two_factor_back(lang))
                    };
                    view! { <a class="button button-primary" href=href rel="external">{label}</a> }
                })}
            </Transition>
        </section>
    }
}

/// The account page's pointer to the set-up page.
#[component]
pub fn TwoFactorSection() -> impl IntoView {
    let lang = use_lang();
    view! {
        <section class="card" aria-labelledby="two-factor-section-heading">
            <h2 id="two-factor-section-heading">{tr::account_two_factor_title(lang)}</h2>
            <p class="muted">{tr::account_two_factor_section_intro(lang)}</p>
            <a class="button button-quiet" href="/account/two-factor">{tr::account_two_factor_manage(lang)}</a>
        </section>
    }
}
