//! The forms on the Account page. Each shows its own pending, error and success states.

use crate::registration::my_registrations;
use crate::sender_ids::my_sender_ids;
use crate::settings::{my_settings, ChangePassword, UpdateSettings};
use crate::signature::{my_signature_applications, ApplyChinaSignature};
use crate::topups::{my_payments, MIN_TOP_UP, PAYMENT_METHODS};
use crate::ui::{
    action_error, field_error, format_hkt, submit_form, EmptyState, FormError, Loading, Notice,
    NoticeKind, SubmitButton, TextField,
};
use leptos::prelude::*;

fn status_badge(status: &str) -> impl IntoView {
    let class = match status {
        "confirmed" | "approved" | "active" => "badge badge-ok",
        "rejected" | "retired" => "badge badge-bad",
        _ => "badge badge-warn",
    };
    let label = match status {
        "pending" => "Waiting for review",
        "confirmed" => "Confirmed",
        "approved" => "Approved",
        "rejected" => "Rejected",
        "active" => "Active",
        "retired" => "Retired",
        other => other,
    }
    .to_string();
    view! { <span class=class>{label}</span> }
}

#[component]
pub fn TopUpSection() -> impl IntoView {
    let upload = Action::new_local(|data: &web_sys::FormData| {
        crate::topups::record_payment(data.clone().into())
    });
    let value = upload.value();
    let payments = Resource::new(move || upload.version().get(), |_| my_payments());
    view! {
        <section class="card" aria-labelledby="topup-heading">
            <h2 id="topup-heading">"Top up"</h2>
            <p class="muted">{format!("Pay by bank transfer, FPS, cheque or cash deposit (at least {MIN_TOP_UP}), then record the payment here with its receipt. Your balance changes when staff confirm it.")}</p>
            <form class="form form-grid" on:submit=submit_form(upload) novalidate>
                <FormError error=action_error(value)/>
                <TextField label="Amount (HK$)" name="amount" kind="text" placeholder="300.00" required=true error=field_error(value, "amount")/>
                <div class="field">
                    <label for="field-method">"Payment method"</label>
                    <select id="field-method" name="method">
                        {PAYMENT_METHODS.iter().map(|m| view! { <option value=*m>{*m}</option> }).collect_view()}
                    </select>
                    <p class="field-error" role="alert">{move || field_error(value, "method").get()}</p>
                </div>
                <TextField label="Payment reference" name="reference" required=true hint="As shown on the bank receipt." error=field_error(value, "reference")/>
                <TextField label="Receipt (PDF, JPG or PNG, up to 10 MB)" name="receipt" kind="file" required=true error=field_error(value, "receipt")/>
                {move || matches!(value.get(), Some(Ok(_))).then(|| view! {
                    <Notice kind=NoticeKind::Success>"Payment recorded. Staff will confirm it shortly."</Notice>
                })}
                <SubmitButton label="Record payment" pending_label="Uploading…" pending=upload.pending()/>
            </form>
            <Suspense fallback=|| view! { <Loading what="payments"/> }>
                {move || Suspend::new(async move {
                    match payments.await {
                        Ok(list) if list.is_empty() => view! { <EmptyState title="No payments recorded yet"><p>"Recorded payments and their review appear here."</p></EmptyState> }.into_any(),
                        Ok(list) => view! {
                            <div class="table-wrap"><table class="table" data-testid="my-payments">
                                <thead><tr><th scope="col">"Recorded"</th><th scope="col">"Method"</th><th scope="col">"Reference"</th><th scope="col" class="num">"Amount"</th><th scope="col">"Status"</th></tr></thead>
                                <tbody>{list.into_iter().map(|p| view! {
                                    <tr>
                                        <td>{format_hkt(p.request.created_at)}</td><td>{p.method}</td><td>{p.reference}</td>
                                        <td class="num">{p.amount.to_string()}</td>
                                        <td>{status_badge(&p.request.status)}{p.request.reject_reason.map(|r| view! { <span class="muted">{format!(" {r}")}</span> })}</td>
                                    </tr>
                                }).collect_view()}</tbody>
                            </table></div>
                        }.into_any(),
                        Err(e) => view! { <Notice kind=NoticeKind::Error>{e.to_string()}</Notice> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

#[component]
pub fn RegistrationSection() -> impl IntoView {
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
            <h2 id="registration-heading">"Business registration"</h2>
            <p class="muted">"Upload your business registration certificate. Once staff approve it, your account can send to any number."</p>
            <form class="form" on:submit=submit_form(upload) novalidate>
                <FormError error=action_error(value)/>
                <TextField label="Certificate (PDF, JPG or PNG, up to 10 MB)" name="certificate" kind="file" required=true error=field_error(value, "certificate")/>
                {move || matches!(value.get(), Some(Ok(_))).then(|| view! { <Notice kind=NoticeKind::Success>"Certificate uploaded for review."</Notice> })}
                <SubmitButton label="Upload certificate" pending_label="Uploading…" pending=upload.pending()/>
            </form>
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    list.await.ok().filter(|l| !l.is_empty()).map(|l| view! {
                        <ul class="plain-list">{l.into_iter().map(|r| view! {
                            <li>{format!("Uploaded {} ", format_hkt(r.request.created_at))}{status_badge(&r.request.status)}{r.request.reject_reason.map(|x| format!(" {x}"))}</li>
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
    let ids = Resource::new(|| (), |_| my_sender_ids());
    view! {
        <section class="card" aria-labelledby="senderids-heading">
            <h2 id="senderids-heading">"Sender IDs"</h2>
            <p class="muted">"Staff create sender IDs for your account (at most 5). You choose one when sending on the HK Business or International routes."</p>
            <Suspense fallback=|| view! { <Loading/> }>
                {move || Suspend::new(async move {
                    match ids.await {
                        Ok(list) if list.is_empty() => view! { <EmptyState title="No sender IDs yet"><p>"Ask the Ferry operator to set one up."</p></EmptyState> }.into_any(),
                        Ok(list) => view! {
                            <ul class="plain-list" data-testid="my-sender-ids">{list.into_iter().map(|s| view! {
                                <li><code>{s.sender_id}</code>{s.registered.then_some(" (registered)")}</li>
                            }).collect_view()}</ul>
                        }.into_any(),
                        Err(e) => view! { <Notice kind=NoticeKind::Error>{e.to_string()}</Notice> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

#[component]
pub fn SignatureSection() -> impl IntoView {
    let apply = ServerAction::<ApplyChinaSignature>::new();
    let value = apply.value();
    let list = Resource::new(
        move || apply.version().get(),
        |_| my_signature_applications(),
    );
    view! {
        <section class="card" aria-labelledby="signature-heading">
            <h2 id="signature-heading">"China signature"</h2>
            <p class="muted">{format!("Messages to mainland China start with a signature such as [YourBrand]. A custom signature (3–6 Chinese or English characters) costs {}, waived after a single top-up of {} or more; without one only notification messages may be sent.", crate::signature::SIGNATURE_FEE, crate::signature::FEE_WAIVER_TOP_UP)}</p>
            <ActionForm action=apply attr:class="form form-inline" attr:novalidate=true>
                <FormError error=action_error(value)/>
                <TextField label="Signature" name="signature" required=true error=field_error(value, "signature")/>
                <SubmitButton label="Apply" pending_label="Applying…" pending=apply.pending()/>
            </ActionForm>
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    list.await.ok().filter(|l| !l.is_empty()).map(|l| view! {
                        <ul class="plain-list">{l.into_iter().map(|a| view! {
                            <li><strong>{format!("[{}] ", a.signature)}</strong>{status_badge(&a.request.status)}
                                {a.fee.map(|f| format!(" fee {f}"))}{a.request.reject_reason.map(|r| format!(" {r}"))}</li>
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
                            <h2 id="verify-heading">"Verify your mobile number"</h2>
                            <p>{format!("We sent an 8-digit code by SMS to +{mobile}. Enter it to start using your trial credit; until then nothing can be sent.")}</p>
                            <ActionForm action=verify attr:class="form form-inline" attr:novalidate=true>
                                <FormError error=action_error(value)/>
                                <TextField label="Code from the SMS" name="code" autocomplete="one-time-code" error=field_error(value, "code")/>
                                <SubmitButton label="Verify" pending_label="Checking…" pending=verify.pending()/>
                            </ActionForm>
                            <ActionForm action=resend attr:class="form form-inline">
                                <FormError error=action_error(resent)/>
                                {move || matches!(resent.get(), Some(Ok(()))).then(|| view! { <Notice kind=NoticeKind::Success>"A new code is on its way."</Notice> })}
                                <SubmitButton label="Send a new code" pending_label="Sending…" pending=resend.pending()/>
                            </ActionForm>
                        </section>
                    }.into_any()),
                    (None, true) => Some(view! { <Notice kind=NoticeKind::Success>"Your mobile number is verified."</Notice> }.into_any()),
                    (None, false) => None,
                }
            })}
        </Suspense>
    }
}

#[component]
pub fn SettingsSection() -> impl IntoView {
    let update = ServerAction::<UpdateSettings>::new();
    let value = update.value();
    let settings = Resource::new(move || update.version().get(), |_| my_settings());
    view! {
        <section class="card" aria-labelledby="settings-heading">
            <h2 id="settings-heading">"Settings"</h2>
            <Suspense fallback=|| view! { <Loading what="settings"/> }>
                {move || Suspend::new(async move {
                    match settings.await {
                        Ok(s) => view! {
                            <ActionForm action=update attr:class="form form-grid" attr:novalidate=true>
                                <FormError error=action_error(value)/>
                                <SettingField label="SMS validity (minutes)" name="validity_minutes" value=s.validity_minutes.to_string() hint="10 to 1380; how long operators keep trying (HK and foreign routes)." error=field_error(value, "validity_minutes")/>
                                <SettingField label="Single-SMS charge limit (HK$)" name="single_sms_limit" value=s.single_sms_limit.map(crate::ledger::page::plain_amount).unwrap_or_default() hint="A message costing more is not sent. Empty: no limit." error=field_error(value, "single_sms_limit")/>
                                <div class="field">
                                    <label for="field-ip_allow_list">"IP allow-list"</label>
                                    <p class="field-hint" id="field-ip_allow_list-hint">"One address or CIDR per line (IPv4 or IPv6). Empty: sign-in from anywhere."</p>
                                    <textarea id="field-ip_allow_list" name="ip_allow_list" rows="3" aria-describedby="field-ip_allow_list-hint">{s.ip_allow_list}</textarea>
                                    <p class="field-error" role="alert">{move || field_error(value, "ip_allow_list").get()}</p>
                                </div>
                                <SettingField label="Unsubscribe hotline" name="unsubscribe_hotline" value=s.unsubscribe_hotline hint="Used for the EN/UN<hotline> text on promotional messages." error=field_error(value, "unsubscribe_hotline")/>
                                <SettingField label="2-way callback URL" name="callback_url" value=s.callback_url hint="Replies are POSTed here." error=field_error(value, "callback_url")/>
                                <SettingField label="Delivery-status callback URL" name="status_callback_url" value=s.status_callback_url hint="Each message's final status is POSTed here, signed (see API access below). Empty: none, unless an API request names its own." error=field_error(value, "status_callback_url")/>
                                <SettingField label="Default country code" name="default_country_code" value=s.default_country_code.to_string() hint="For numbers typed or imported without one, e.g. 852 (Hong Kong). The composer lets you change it per batch." error=field_error(value, "default_country_code")/>
                                {move || matches!(value.get(), Some(Ok(()))).then(|| view! { <Notice kind=NoticeKind::Success>"Settings saved."</Notice> })}
                                <SubmitButton label="Save settings" pending_label="Saving…" pending=update.pending()/>
                            </ActionForm>
                        }.into_any(),
                        Err(e) => view! { <Notice kind=NoticeKind::Error>{e.to_string()}</Notice> }.into_any(),
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
    let change = ServerAction::<ChangePassword>::new();
    let value = change.value();
    view! {
        <section class="card" aria-labelledby="password-heading">
            <h2 id="password-heading">"Change password"</h2>
            <ActionForm action=change attr:class="form" attr:novalidate=true>
                <FormError error=action_error(value)/>
                <TextField label="Current password" name="current_password" kind="password" autocomplete="current-password" error=field_error(value, "current_password")/>
                <TextField label="New password" name="new_password" kind="password" autocomplete="new-password" hint="At least 10 characters." error=field_error(value, "new_password")/>
                <TextField label="Confirm new password" name="new_password_confirmation" kind="password" autocomplete="new-password" error=field_error(value, "new_password_confirmation")/>
                {move || matches!(value.get(), Some(Ok(()))).then(|| view! { <Notice kind=NoticeKind::Success>"Password changed. Other sign-ins of this account were ended."</Notice> })}
                <SubmitButton label="Change password" pending_label="Changing…" pending=change.pending()/>
            </ActionForm>
        </section>
    }
}
