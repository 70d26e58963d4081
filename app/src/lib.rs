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
pub mod i18n;
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
use leptos_router::{path, Lazy, LazyRoute, SsrMode};

/// The HTML document around the app, rendered on the server only.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    #[cfg(feature = "ssr")]
    set_content_security_policy();
    let lang = i18n::page_lang();
    view! {
        <!DOCTYPE html>
        <html lang=lang.tag()>
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

/// Every page but the start page is a lazy route. The build splits the WebAssembly at each
/// group below (tools/wasm-split), so the browser downloads a group's code the first time one
/// of its pages is shown, and a customer's download never carries the staff console. Groups,
/// not one split per page: every split adds a file for each combination of splits that share
/// code, and 27 splits made 500 files.
///
/// What Leptos's `#[lazy]` generates, but `fallible`: when a group's code cannot be
/// downloaded (the connection dropped), `#[lazy]` panics and leaves a dead page; here the
/// route shows [`shell::PageLoadFailed`] with a way to try again. The split is named after
/// its group (the manifest's keys, which the server reads to preload a page's modules).
macro_rules! page_group {
    ($(#[doc = $doc:literal])* $group:ident, $preload:ident, $which:ident { $($route:ident => $($page:ident)::+,)* }) => {
        // Each variant is named after the route it shows.
        #[allow(clippy::enum_variant_names)]
        #[derive(Clone, Copy)]
        enum $which { $($route,)* }

        $(#[doc = $doc])*
        #[cfg_attr(feature = "hydrate", ::leptos::wasm_split::wasm_split(
            $group,
            wasm_split_path = ::leptos::wasm_split,
            preload(#[doc(hidden)] #[allow(non_snake_case)] $preload),
            fallible
        ))]
        fn $group(page: $which) -> Result<AnyView, PageLoadError> {
            Ok(match page {
                $($which::$route => {
                    use $($page)::+ as Page;
                    view! { <Page/> }.into_any()
                })*
            })
        }

        $(
            struct $route;

            impl LazyRoute for $route {
                fn data() -> Self {
                    $route
                }

                async fn view(_: Self) -> AnyView {
                    // In the browser the group's code is downloaded first; on the server it is
                    // all there, and rendering the page names its modules for preloading.
                    #[cfg(feature = "hydrate")]
                    let page = $group($which::$route).await;
                    #[cfg(not(feature = "hydrate"))]
                    let page = {
                        ::leptos::prefetch_lazy_fn_on_server(stringify!($group));
                        $group($which::$route)
                    };
                    page.unwrap_or_else(|PageLoadError| view! { <shell::PageLoadFailed/> }.into_any())
                }

                async fn preload() {
                    // A failed download is not remembered: `view` tries again, and says so
                    // if that fails too.
                    #[cfg(feature = "hydrate")]
                    let _ = $preload().await;
                }
            }
        )*
    };
}

/// A page group's code could not be downloaded.
struct PageLoadError;

impl From<leptos::wasm_split::SplitLoaderError> for PageLoadError {
    fn from(_: leptos::wasm_split::SplitLoaderError) -> Self {
        PageLoadError
    }
}

page_group! {
    /// Signing in, signing up and resetting a password: the first pages anyone opens.
    visitor_pages, __preload_visitor_pages, VisitorPage {
        LoginRoute => auth::LoginPage,
        SignupRoute => auth::SignupPage,
        ResetPasswordRoute => auth::ResetPasswordPage,
    }
}

page_group! {
    /// The composer, the heaviest customer page (segmentation, keyword checks, imports).
    composer_page, __preload_composer_page, ComposerPage {
        BroadcastRoute => broadcast::BroadcastPage,
    }
}

page_group! {
    /// Every other customer page.
    customer_pages, __preload_customer_pages, CustomerPage {
        ResultsRoute => delivery::pages::ResultsPage,
        BatchRoute => delivery::pages::BatchPage,
        InboxRoute => inbox::page::InboxPage,
        ConversationRoute => inbox::page::ConversationPage,
        AddressBookRoute => address_book::AddressBookPage,
        AccountRoute => account::AccountPage,
        DevelopersRoute => developers::DevelopersPage,
        StatementRoute => ledger::StatementPage,
        TwoFactorRoute => account::two_factor::TwoFactorPage,
    }
}

page_group! {
    /// The staff console: never part of a customer's download.
    staff_pages, __preload_staff_pages, StaffPage {
        AdminRoute => admin::AdminPage,
        AccountsRoute => admin::pages::AccountsPage,
        AccountDetailRoute => admin::pages::AccountDetailPage,
        AccountBatchesRoute => admin::batches::AccountBatchesPage,
        StaffBatchRoute => admin::batches::StaffBatchPage,
        PaymentsQueueRoute => admin::pages::PaymentsQueuePage,
        RegistrationsQueueRoute => admin::pages::RegistrationsQueuePage,
        SignaturesQueueRoute => admin::pages::SignaturesQueuePage,
        PricesRoute => admin::prices::PricesPage,
        DncAdminRoute => dnc::DncAdminPage,
        NumbersRoute => admin::numbers::NumbersPage,
        ConnectionsRoute => admin::connections::ConnectionsPage,
        KeywordsRoute => admin::keywords::KeywordsPage,
        AuditRoute => admin::prices::AuditPage,
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    i18n::provide_lang();
    let lang = i18n::use_lang();
    auth::Session::provide();
    inbox::page::InboxLive::provide();

    view! {
        <Stylesheet id="ferry" href="/pkg/ferry.css"/>
        <Title formatter=|page: String| if page.is_empty() { "Ferry".to_string() } else { format!("{page} · Ferry") }/>
        <Router>
            // `data-hydrated` turns "true" once the WASM has taken over the whole page (frontend).
            <div id="app" data-hydrated="false">
                <a class="skip-link" href="#main">{i18n::tr::nav_skip(lang)}</a>
                <shell::TopBar/>
                <main id="main" tabindex="-1">
                    <Routes fallback=shell::NotFound>
                        <Route path=path!("") view=shell::Home ssr=SsrMode::Async/>
                        <Route path=path!("login") view={Lazy::<LoginRoute>::new()}/>
                        <Route path=path!("signup") view={Lazy::<SignupRoute>::new()}/>
                        <Route path=path!("reset-password") view={Lazy::<ResetPasswordRoute>::new()}/>
                        <Route path=path!("broadcast") view={Lazy::<BroadcastRoute>::new()} ssr=SsrMode::Async/>
                        <Route path=path!("results") view={Lazy::<ResultsRoute>::new()} ssr=SsrMode::Async/>
                        <Route path=path!("results/:id") view={Lazy::<BatchRoute>::new()} ssr=SsrMode::Async/>
                        <Route path=path!("inbox") view={Lazy::<InboxRoute>::new()} ssr=SsrMode::Async/>
                        <Route path=path!("inbox/:number") view={Lazy::<ConversationRoute>::new()} ssr=SsrMode::Async/>
                        <Route path=path!("address-book") view={Lazy::<AddressBookRoute>::new()} ssr=SsrMode::Async/>
                        <Route path=path!("account") view={Lazy::<AccountRoute>::new()} ssr=SsrMode::Async/>
                        <Route path=path!("developers") view={Lazy::<DevelopersRoute>::new()}/>
                        <Route path=path!("account/statement") view={Lazy::<StatementRoute>::new()} ssr=SsrMode::Async/>
                        <Route path=path!("account/two-factor") view={Lazy::<TwoFactorRoute>::new()} ssr=SsrMode::Async/>
                        <Route path=path!("admin") view={Lazy::<AdminRoute>::new()} ssr=SsrMode::Async/>
                        <Route path=path!("admin/accounts") view={Lazy::<AccountsRoute>::new()} ssr=SsrMode::Async/>
                        <Route path=path!("admin/accounts/:id") view={Lazy::<AccountDetailRoute>::new()} ssr=SsrMode::Async/>
                        <Route path=path!("admin/accounts/:id/batches") view={Lazy::<AccountBatchesRoute>::new()} ssr=SsrMode::Async/>
                        <Route path=path!("admin/accounts/:id/batches/:batch") view={Lazy::<StaffBatchRoute>::new()} ssr=SsrMode::Async/>
                        <Route path=path!("admin/payments") view={Lazy::<PaymentsQueueRoute>::new()} ssr=SsrMode::Async/>
                        <Route path=path!("admin/registrations") view={Lazy::<RegistrationsQueueRoute>::new()} ssr=SsrMode::Async/>
                        <Route path=path!("admin/signatures") view={Lazy::<SignaturesQueueRoute>::new()} ssr=SsrMode::Async/>
                        <Route path=path!("admin/prices") view={Lazy::<PricesRoute>::new()} ssr=SsrMode::Async/>
                        <Route path=path!("admin/dnc") view={Lazy::<DncAdminRoute>::new()} ssr=SsrMode::Async/>
                        <Route path=path!("admin/numbers") view={Lazy::<NumbersRoute>::new()} ssr=SsrMode::Async/>
                        <Route path=path!("admin/connections") view={Lazy::<ConnectionsRoute>::new()} ssr=SsrMode::Async/>
                        <Route path=path!("admin/keywords") view={Lazy::<KeywordsRoute>::new()} ssr=SsrMode::Async/>
                        <Route path=path!("admin/audit") view={Lazy::<AuditRoute>::new()} ssr=SsrMode::Async/>
                    </Routes>
                </main>
            </div>
        </Router>
    }
}
