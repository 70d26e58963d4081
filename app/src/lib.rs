#![recursion_limit = "512"]
//! Ferry's portal: every page, component and server function. One folder per capability; `ui`
//! holds the shared components, `error` the one error type the browser sees. The domain and
//! its storage are in `engine` (ARCHITECTURE.md); a server function checks its caller and
//! calls it. May call `engine` and `sms`, never `server`.

pub mod account;
pub mod address_book;
pub mod admin;
pub mod api_keys;
pub mod auth;
pub mod broadcast;
pub mod callbacks;
pub mod chart;
pub mod delivery;
pub mod developers;
pub mod dnc;
pub mod documents;
pub mod error;
pub mod import;
pub mod inbox;
pub mod shell;
pub mod ui;

#[cfg(feature = "ssr")]
pub mod download;
pub mod ledger;
pub mod registration;
mod review;
pub mod sender_ids;
pub mod settings;
pub mod signature;
pub mod topups;
#[cfg(feature = "ssr")]
pub mod upload;

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Stylesheet, Title};
use leptos_router::components::{Route, Router, Routes};
use leptos_router::{path, SsrMode};

/// The HTML document around the app, rendered on the server only.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    #[cfg(feature = "ssr")]
    set_content_security_policy();
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <meta name="color-scheme" content="light"/>
                <link rel="icon" href="/favicon.svg" type="image/svg+xml"/>
                <HydrationScripts options/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

/// The page's Content-Security-Policy: only Ferry's own files, and of inline scripts only
/// those carrying this response's nonce (Leptos puts it on the hydration script and on every
/// streamed resource chunk), so a script that got into the page some other way does not run.
/// `'wasm-unsafe-eval'` lets the page compile its WebAssembly and nothing else.
pub fn page_policy(nonce: &str) -> String {
    format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; \
         style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; \
         object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )
}

#[cfg(feature = "ssr")]
fn set_content_security_policy() {
    // leptos_axum provides a fresh nonce for every page it renders.
    let (Some(nonce), Some(response)) = (
        leptos::nonce::use_nonce(),
        use_context::<leptos_axum::ResponseOptions>(),
    ) else {
        return;
    };
    // The nonce is URL-safe base64, always a valid header value.
    if let Ok(policy) = http::HeaderValue::from_str(&page_policy(&nonce)) {
        response.insert_header(http::header::CONTENT_SECURITY_POLICY, policy);
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    auth::Session::provide();
    inbox::page::InboxLive::provide();
    // Set once the WASM has taken over the page; browser tests wait for it.
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));

    view! {
        <Stylesheet id="ferry" href="/pkg/ferry.css"/>
        <Title formatter=|page: String| if page.is_empty() { "Ferry".to_string() } else { format!("{page} · Ferry") }/>
        <Router>
            <div id="app" data-hydrated=move || hydrated.get().to_string()>
                <a class="skip-link" href="#main">"Skip to content"</a>
                <shell::TopBar/>
                <main id="main" tabindex="-1">
                    <Routes fallback=shell::NotFound>
                        <Route path=path!("") view=shell::Home ssr=SsrMode::Async/>
                        <Route path=path!("login") view=auth::LoginPage/>
                        <Route path=path!("signup") view=auth::SignupPage/>
                        <Route path=path!("reset-password") view=auth::ResetPasswordPage/>
                        <Route path=path!("broadcast") view=broadcast::BroadcastPage ssr=SsrMode::Async/>
                        <Route path=path!("results") view=delivery::pages::ResultsPage ssr=SsrMode::Async/>
                        <Route path=path!("results/:id") view=delivery::pages::BatchPage ssr=SsrMode::Async/>
                        <Route path=path!("inbox") view=inbox::page::InboxPage ssr=SsrMode::Async/>
                        <Route path=path!("inbox/:number") view=inbox::page::ConversationPage ssr=SsrMode::Async/>
                        <Route path=path!("address-book") view=address_book::AddressBookPage ssr=SsrMode::Async/>
                        <Route path=path!("account") view=account::AccountPage ssr=SsrMode::Async/>
                        <Route path=path!("developers") view=developers::DevelopersPage/>
                        <Route path=path!("account/statement") view=ledger::StatementPage ssr=SsrMode::Async/>
                        <Route path=path!("account/two-factor") view=account::two_factor::TwoFactorPage ssr=SsrMode::Async/>
                        <Route path=path!("admin") view=admin::AdminPage ssr=SsrMode::Async/>
                        <Route path=path!("admin/accounts") view=admin::pages::AccountsPage ssr=SsrMode::Async/>
                        <Route path=path!("admin/accounts/:id") view=admin::pages::AccountDetailPage ssr=SsrMode::Async/>
                        <Route path=path!("admin/accounts/:id/batches") view=admin::batches::AccountBatchesPage ssr=SsrMode::Async/>
                        <Route path=path!("admin/accounts/:id/batches/:batch") view=admin::batches::StaffBatchPage ssr=SsrMode::Async/>
                        <Route path=path!("admin/payments") view=admin::pages::PaymentsQueuePage ssr=SsrMode::Async/>
                        <Route path=path!("admin/registrations") view=admin::pages::RegistrationsQueuePage ssr=SsrMode::Async/>
                        <Route path=path!("admin/signatures") view=admin::pages::SignaturesQueuePage ssr=SsrMode::Async/>
                        <Route path=path!("admin/prices") view=admin::prices::PricesPage ssr=SsrMode::Async/>
                        <Route path=path!("admin/dnc") view=dnc::DncAdminPage ssr=SsrMode::Async/>
                        <Route path=path!("admin/numbers") view=admin::numbers::NumbersPage ssr=SsrMode::Async/>
                        <Route path=path!("admin/connections") view=admin::connections::ConnectionsPage ssr=SsrMode::Async/>
                        <Route path=path!("admin/keywords") view=admin::keywords::KeywordsPage ssr=SsrMode::Async/>
                        <Route path=path!("admin/audit") view=admin::prices::AuditPage ssr=SsrMode::Async/>
                    </Routes>
                </main>
            </div>
        </Router>
    }
}
