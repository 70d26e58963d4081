//! The forms on the Account page. Each shows its own pending, error and success states.

use crate::i18n::{tr, use_lang, Lang};
use crate::registration::my_registrations;
use crate::sender_ids::my_sender_ids;
use crate::settings::{my_settings, ChangePassword, UpdateSettings};
use crate::signature::{my_signature_applications, ApplyChinaSignature};
use crate::topups::{my_payments, MIN_TOP_UP, PAYMENT_METHODS};
use crate::ui::{
    action_error, field_error, format_hkt_in, submit_form, EmptyState, FormError, Loading, Notice,
    NoticeKind, SubmitButton, TextField,
};
use leptos::prelude::*;

fn status_badge(lang: Lang, status: &str) -> impl IntoView {
    let class = match status {
        "confirmed" | "approved" | "active" => "badge badge-ok",
        "rejected" | "retired" => "badge badge-bad",
        _ => "badge badge-warn",
    };
    let label = match status {
        "pending" => tr::account_review_pending(lang),
        "confirmed" => tr::account_review_confirmed(lang),
        "approved" => tr::account_review_approved(lang),
        "rejected" => tr::account_review_rejected(lang),
        "active" => tr::account_review_active(lang),
        "retired" => tr::account_review_retired(lang),
        other => other,
    }
    .to_string();
    view! { <span class=class>{label}</span> }
}

/// A payment method as people read it; the form sends (and the server stores) the English.
fn payment_method_label(lang: Lang, method: &str) -> String {
    match method {
        "Bank transfer" => tr::account_method_bank_transfer(lang),
        "FPS" => tr::account_method_fps(lang),
        "Cheque" => tr::account_method_cheque(lang),
        "Cash deposit" => tr::account_method_cash_deposit(lang),
        other => other,
    }
    .to_string()
}

#[component]
pub fn TopUpSection() -> impl IntoView {
    let lang = use_lang();
    let upload = Action::new_local(|data: &web_sys::FormData| {
        crate::topups::record_payment(data.clone().into())
    });
    let value = upload.value();
    let payments = Resource::new(move || upload.version().get(), |_| my_payments());
    view! {
        <section class="card" aria-labelledby="topup-heading">
            <h2 id="topup-heading">{tr::account_topup_heading(lang)}</h2>
            <p class="muted">{tr::account_topup_intro(lang, MIN_TOP_UP)}</p>
            <form class="form form-grid" on:submit=submit_form(upload) novalidate>
                <FormError error=action_error(value)/>
                <TextField label=tr::account_topup_amount(lang) name="amount" kind="text" placeholder="300.00" required=true error=field_error(value, "amount")/>
                <div class="field">
                    <label for="field-method">{tr::account_topup_method(lang)}</label>
                    <select id="field-method" name="method">
                        {PAYMENT_METHODS.iter().map(|m| view! { <option value=*m>{payment_method_label(lang, m)}</option> }).collect_view()}
                    </select>
                    <p class="field-error" role="alert">{move || field_error(value, "method").get()}</p>
                </div>
                <TextField label=tr::account_topup_reference(lang) name="reference" required=true hint=tr::account_topup_reference_hint(lang) error=field_error(value, "reference")/>
                <TextField label=tr::account_topup_receipt(lang) name="receipt" kind="file" required=true error=field_error(value, "receipt")/>
                {move || matches!(value.get(), Some(Ok(_))).then(|| view! {
                    <Notice kind=NoticeKind::Success>{tr::account_topup_recorded(lang)}</Notice>
                })}
                <SubmitButton label=tr::account_topup_submit(lang) pending_label=tr::account_uploading(lang) pending=upload.pending()/>
            </form>
            <Suspense fallback=move || view! { <Loading what=tr::account_loading_payments(lang)/> }>
                {move || Suspend::new(async move {
                    match payments.await {
                        Ok(list) if list.is_empty() => view! { <EmptyState title=tr::account_no_payments(lang)><p>{tr::account_no_payments_text(lang)}</p></EmptyState> }.into_any(),
                        Ok(list) => view! {
                            <div class="table-wrap"><table class="table" data-testid="my-payments">
                                <thead><tr><th scope="col">{tr::account_col_recorded(lang)}</th><th scope="col">{tr::account_col_method(lang)}</th><th scope="col">{tr::account_col_reference(lang)}</th><th scope="col" class="num">{tr::account_col_amount(lang)}</th><th scope="col">{tr::account_col_status(lang)}</th></tr></thead>
                                <tbody>{list.into_iter().map(|p| view! {
                                    <tr>
                                        <td>{format_hkt_in(lang, p.request.created_at)}</td><td>{payment_method_label(lang, &p.method)}</td><td>{p.reference}</td>
                                        <td class="num">{p.amount.to_string()}</td>
                                        <td>{status_badge(lang, &p.request.status)}{p.request.reject_reason.map(|r| view! { <span class="muted">{format!(" {r}")}</span> })}</td>
                                    </tr>
                                }).collect_view()}</tbody>
                            </table></div>
                        }.into_any(),
                        Err(e) => view! { <Notice kind=NoticeKind::Error>{e.localized(crate::i18n::use_lang())}</Notice> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

#[component]
pub fn RegistrationSection() -> impl IntoView {
    let lang = use_lang();
    let upload = Action::new_local(|data: &web_sys::FormData| {
        crate::registration::upload_registration(data.clone().into())
    });
    let value = upload.value();
    let list = Resource::new(move || upload.version().get(), |_| my_registrations());
    let session = crate::auth::Session::expect();
    // Only trial accounts upload a certificate; the viewer resource says which this is.
    let is_trial = move || {
        session
            .viewer
            .get()
            .and_then(|v| v.ok())
            .flatten()
            .is_some_and(|v| v.status == crate::auth::AccountStatus::Trial)
    };
    view! {
        <Show when=is_trial>
        <section class="card" aria-labelledby="registration-heading">
            <h2 id="registration-heading">{tr::account_registration_heading(lang)}</h2>
            <p class="muted">{tr::account_registration_intro(lang)}</p>
            <form class="form" on:submit=submit_form(upload) novalidate>
                <FormError error=action_error(value)/>
                <TextField label=tr::account_registration_certificate(lang) name="certificate" kind="file" required=true error=field_error(value, "certificate")/>
                {move || matches!(value.get(), Some(Ok(_))).then(|| view! { <Notice kind=NoticeKind::Success>{tr::account_registration_uploaded(lang)}</Notice> })}
                <SubmitButton label=tr::account_registration_submit(lang) pending_label=tr::account_uploading(lang) pending=upload.pending()/>
            </form>
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    list.await.ok().filter(|l| !l.is_empty()).map(|l| view! {
                        <ul class="plain-list">{l.into_iter().map(|r| view! {
                            <li>{tr::account_registration_item(lang, format_hkt_in(lang, r.request.created_at))}{status_badge(lang, &r.request.status)}{r.request.reject_reason.map(|x| format!(" {x}"))}</li>
                        }).collect_view()}</ul>
                    })
                })}
            </Suspense>
        </section>
        </Show>
    }
}

#[component]
pub fn SenderIdSection() -> impl IntoView {
    let lang = use_lang();
    let ids = Resource::new(|| (), |_| my_sender_ids());
    view! {
        <section class="card" aria-labelledby="senderids-heading">
            <h2 id="senderids-heading">{tr::account_sender_ids_heading(lang)}</h2>
            <p class="muted">{tr::account_sender_ids_intro(lang)}</p>
            <Suspense fallback=|| view! { <Loading/> }>
                {move || Suspend::new(async move {
                    match ids.await {
                        Ok(list) if list.is_empty() => view! { <EmptyState title=tr::account_no_sender_ids(lang)><p>{tr::account_no_sender_ids_text(lang)}</p></EmptyState> }.into_any(),
                        Ok(list) => view! {
                            <ul class="plain-list" data-testid="my-sender-ids">{list.into_iter().map(|s| view! {
                                <li><code>{s.sender_id}</code>{s.registered.then_some(tr::account_sender_id_registered(lang))}</li>
                            }).collect_view()}</ul>
                        }.into_any(),
                        Err(e) => view! { <Notice kind=NoticeKind::Error>{e.localized(crate::i18n::use_lang())}</Notice> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

#[component]
pub fn SignatureSection() -> impl IntoView {
    let lang = use_lang();
    let apply = ServerAction::<ApplyChinaSignature>::new();
    let value = apply.value();
    let list = Resource::new(
        move || apply.version().get(),
        |_| my_signature_applications(),
    );
    view! {
        <section class="card" aria-labelledby="signature-heading">
            <h2 id="signature-heading">{tr::account_signature_heading(lang)}</h2>
            <p class="muted">{tr::account_signature_intro(lang, crate::signature::SIGNATURE_FEE, crate::signature::FEE_WAIVER_TOP_UP)}</p>
            <ActionForm action=apply attr:class="form form-inline" attr:novalidate=true>
                <FormError error=action_error(value)/>
                <TextField label=tr::account_signature_label(lang) name="signature" required=true error=field_error(value, "signature")/>
                <SubmitButton label=tr::account_signature_apply(lang) pending_label=tr::account_signature_applying(lang) pending=apply.pending()/>
            </ActionForm>
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    list.await.ok().filter(|l| !l.is_empty()).map(|l| view! {
                        <ul class="plain-list">{l.into_iter().map(|a| view! {
                            <li><strong>{format!("[{}] ", a.signature)}</strong>{status_badge(lang, &a.request.status)}
                                {a.fee.map(|f| tr::account_signature_fee(lang, f))}{a.request.reject_reason.map(|r| format!(" {r}"))}</li>
                        }).collect_view()}</ul>
                    })
                })}
            </Suspense>
        </section>
    }
}

/// Shown to a trial account until its registered mobile is verified: the trial credit can be
/// spent once the code sent there comes back.
#[component]
pub fn MobileVerificationSection() -> impl IntoView {
    use crate::auth::{mobile_verification, SendMobileCode, VerifyMobile};
    let lang = use_lang();
    let verify = ServerAction::<VerifyMobile>::new();
    let resend = ServerAction::<SendMobileCode>::new();
    let value = verify.value();
    let resent = resend.value();
    let pending_mobile = Resource::new(move || verify.version().get(), |_| mobile_verification());
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                let mobile = pending_mobile.await.ok().flatten();
                let done = matches!(value.get_untracked(), Some(Ok(())));
                match (mobile, done) {
                    (Some(mobile), _) => Some(view! {
                        <section class="card card-attention" aria-labelledby="verify-heading" data-testid="verify-mobile">
                            <h2 id="verify-heading">{tr::account_verify_heading(lang)}</h2>
                            <p>{tr::account_verify_intro(lang, mobile)}</p>
                            <ActionForm action=verify attr:class="form form-inline" attr:novalidate=true>
                                <FormError error=action_error(value)/>
                                <TextField label=tr::account_sms_code(lang) name="code" autocomplete="one-time-code" error=field_error(value, "code")/>
                                <SubmitButton label=tr::account_verify_submit(lang) pending_label=tr::account_checking(lang) pending=verify.pending()/>
                            </ActionForm>
                            <ActionForm action=resend attr:class="form form-inline">
                                <FormError error=action_error(resent)/>
                                {move || matches!(resent.get(), Some(Ok(()))).then(|| view! { <Notice kind=NoticeKind::Success>{tr::account_verify_resent(lang)}</Notice> })}
                                <SubmitButton label=tr::account_verify_resend(lang) pending_label=tr::account_sending(lang) pending=resend.pending()/>
                            </ActionForm>
                        </section>
                    }.into_any()),
                    (None, true) => Some(view! { <Notice kind=NoticeKind::Success>{tr::account_verify_done(lang)}</Notice> }.into_any()),
                    (None, false) => None,
                }
            })}
        </Suspense>
    }
}

#[component]
pub fn SettingsSection() -> impl IntoView {
    let lang = use_lang();
    let update = ServerAction::<UpdateSettings>::new();
    let value = update.value();
    let settings = Resource::new(move || update.version().get(), |_| my_settings());
    view! {
        <section class="card" aria-labelledby="settings-heading">
            <h2 id="settings-heading">{tr::account_settings_heading(lang)}</h2>
            <Suspense fallback=move || view! { <Loading what=tr::account_loading_settings(lang)/> }>
                {move || Suspend::new(async move {
                    match settings.await {
                        Ok(s) => view! {
                            <ActionForm action=update attr:class="form form-grid" attr:novalidate=true>
                                <FormError error=action_error(value)/>
                                <SettingField label=tr::account_validity(lang) name="validity_minutes" value=s.validity_minutes.to_string() hint=tr::account_validity_hint(lang) error=field_error(value, "validity_minutes")/>
                                <SettingField label=tr::account_single_limit(lang) name="single_sms_limit" value=s.single_sms_limit.map(crate::ledger::page::plain_amount).unwrap_or_default() hint=tr::account_single_limit_hint(lang) error=field_error(value, "single_sms_limit")/>
                                <div class="field">
                                    <label for="field-ip_allow_list">{tr::account_ip_allow_list(lang)}</label>
                                    <p class="field-hint" id="field-ip_allow_list-hint">{tr::account_ip_allow_list_hint(lang)}</p>
                                    <textarea id="field-ip_allow_list" name="ip_allow_list" rows="3" aria-describedby="field-ip_allow_list-hint">{s.ip_allow_list}</textarea>
                                    <p class="field-error" role="alert">{move || field_error(value, "ip_allow_list").get()}</p>
                                </div>
                                <SettingField label=tr::account_hotline(lang) name="unsubscribe_hotline" value=s.unsubscribe_hotline hint=tr::account_hotline_hint(lang) error=field_error(value, "unsubscribe_hotline")/>
                                <SettingField label=tr::account_callback_url(lang) name="callback_url" value=s.callback_url hint=tr::account_callback_url_hint(lang) error=field_error(value, "callback_url")/>
                                <SettingField label=tr::account_status_callback_url(lang) name="status_callback_url" value=s.status_callback_url hint=tr::account_status_callback_url_hint(lang) error=field_error(value, "status_callback_url")/>
                                <SettingField label=tr::account_country_code(lang) name="default_country_code" value=s.default_country_code.to_string() hint=tr::account_country_code_hint(lang) error=field_error(value, "default_country_code")/>
                                {move || matches!(value.get(), Some(Ok(()))).then(|| view! { <Notice kind=NoticeKind::Success>{tr::account_settings_saved(lang)}</Notice> })}
                                <SubmitButton label=tr::account_settings_save(lang) pending_label=tr::account_saving(lang) pending=update.pending()/>
                            </ActionForm>
                        }.into_any(),
                        Err(e) => view! { <Notice kind=NoticeKind::Error>{e.localized(crate::i18n::use_lang())}</Notice> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

/// A text input with a stored value (the settings form's fields).
#[component]
fn SettingField(
    #[prop(into)] label: String,
    #[prop(into)] name: String,
    #[prop(into)] value: String,
    #[prop(into)] hint: String,
    #[prop(into)] error: Signal<Option<String>>,
) -> impl IntoView {
    let id = format!("field-{name}");
    let hint_id = format!("{id}-hint");
    view! {
        <div class="field" class:field-invalid=move || error.get().is_some()>
            <label for=id.clone()>{label}</label>
            <p class="field-hint" id=hint_id.clone()>{hint}</p>
            <input id=id name=name value=value aria-describedby=hint_id aria-invalid=move || error.get().is_some().to_string()/>
            <p class="field-error" role="alert">{move || error.get()}</p>
        </div>
    }
}

#[component]
pub fn PasswordSection() -> impl IntoView {
    let lang = use_lang();
    let change = ServerAction::<ChangePassword>::new();
    let value = change.value();
    view! {
        <section class="card" aria-labelledby="password-heading">
            <h2 id="password-heading">{tr::account_password_heading(lang)}</h2>
            <ActionForm action=change attr:class="form" attr:novalidate=true>
                <FormError error=action_error(value)/>
                <TextField label=tr::account_current_password(lang) name="current_password" kind="password" autocomplete="current-password" error=field_error(value, "current_password")/>
                <TextField label=tr::account_new_password(lang) name="new_password" kind="password" autocomplete="new-password" hint=tr::account_new_password_hint(lang) error=field_error(value, "new_password")/>
                <TextField label=tr::account_confirm_new_password(lang) name="new_password_confirmation" kind="password" autocomplete="new-password" error=field_error(value, "new_password_confirmation")/>
                {move || matches!(value.get(), Some(Ok(()))).then(|| view! { <Notice kind=NoticeKind::Success>{tr::account_password_changed(lang)}</Notice> })}
                <SubmitButton label=tr::account_password_submit(lang) pending_label=tr::account_changing(lang) pending=change.pending()/>
            </ActionForm>
        </section>
    }
}
