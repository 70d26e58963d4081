//! The frame around every page: the top bar with navigation and balance, access guards, and
//! the pages whose capabilities have not landed yet.

use crate::auth::{Session, Viewer};
use crate::i18n::{tr, use_lang, Lang};
use crate::ui::{Loading, Notice, NoticeKind, PageHeader};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::{Redirect, A};

#[component]
pub fn TopBar() -> impl IntoView {
    let session = Session::expect();
    let lang = use_lang();
    view! {
        <header class="topbar">
            <a class="brand" href="/">"Ferry"</a>
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    match session.viewer.await {
                        Ok(Some(viewer)) => view! { <SignedInNav viewer/> }.into_any(),
                        _ => view! {
                            <nav class="nav" aria-label=tr::nav_account_label(lang)>
                                <A href="/login">{tr::nav_sign_in(lang)}</A>
                                <A href="/signup">{tr::nav_create_account(lang)}</A>
                                <A href="/developers">{tr::nav_api(lang)}</A>
                            </nav>
                        }
                        .into_any(),
                    }
                })}
            </Transition>
            <LanguageSwitch/>
        </header>
    }
}

/// Switches the portal to the other language: a plain form, so it works before the page
/// hydrates; the server remembers the choice and reloads the same page in it.
#[component]
fn LanguageSwitch() -> impl IntoView {
    let lang = use_lang();
    let location = leptos_router::hooks::use_location();
    let next = move || {
        let search = location.search.get();
        let query = if search.is_empty() {
            String::new()
        } else {
            format!("?{search}")
        };
        format!("{}{query}", location.pathname.get())
    };
    let other = match lang {
        Lang::En => Lang::ZhHant,
        Lang::ZhHant => Lang::En,
    };
    view! {
        <form method="post" action="/language" class="inline-form lang-switch">
            // An attribute, not a property: properties are not in the server's HTML, and a
            // switch pressed before the page is interactive (the WebAssembly still loading)
            // sent the visitor to the start page instead of back to this one.
            <input type="hidden" name="next" value=next/>
            <button type="submit" name="lang" value=other.tag() lang=other.tag()
                class="button button-quiet" title=tr::nav_language_title(lang)>
                {other.native_name()}
            </button>
        </form>
    }
}

#[component]
fn SignedInNav(viewer: Viewer) -> impl IntoView {
    let session = Session::expect();
    let lang = use_lang();
    let logout = session.logout;
    crate::auth::pages::navigate_on_success(logout, "/login");
    let is_staff = viewer.is_staff();
    view! {
        <nav class="nav" aria-label=tr::nav_main_label(lang)>
            {(!is_staff).then(|| view! {
                <A href="/broadcast">{tr::nav_broadcast(lang)}</A>
                <A href="/results">{tr::nav_results(lang)}</A>
                <crate::inbox::page::InboxNavLink/>
                <A href="/address-book">{tr::nav_address_book(lang)}</A>
                <A href="/developers">{tr::nav_api(lang)}</A>
            })}
            // Staff accounts hold no money: their Account link has no balance.
            <A href="/account">
                {tr::nav_account(lang)}
                {(!is_staff).then(|| view! { " " <NavBalance rendered=viewer.balance/> })}
            </A>
            {is_staff.then(|| view! { <A href="/admin">{tr::nav_admin(lang)}</A> })}
        </nav>
        <div class="topbar-user">
            <span class="who">{viewer.login_name.clone()}</span>
            <ActionForm action=logout attr:class="inline-form">
                <button type="submit" class="button button-quiet" disabled=move || logout.pending().get()>
                    {move || if logout.pending().get() { tr::nav_signing_out(lang) } else { tr::nav_sign_out(lang) }}
                </button>
            </ActionForm>
        </div>
    }
}

/// How often the navigation's balance is read again while the tab is open: charges land as
/// messages are accepted, and staff confirm top-ups and make transfers from elsewhere.
const BALANCE_REFRESH: std::time::Duration = std::time::Duration::from_secs(30);

/// The balance in the navigation: as the page was rendered, then read again whenever this tab
/// changed it ([`Session::balance_changed`]), every [`BALANCE_REFRESH`], and when the window
/// gets the focus back.
#[component]
fn NavBalance(rendered: sms::Money) -> impl IntoView {
    let session = Session::expect();
    let lang = use_lang();
    let tick = RwSignal::new(0u64);
    // Browser only: effects do not run on the server.
    Effect::new(move |_| {
        if let Ok(handle) =
            set_interval_with_handle(move || tick.update(|t| *t += 1), BALANCE_REFRESH)
        {
            on_cleanup(move || handle.clear());
        }
        let focus = window_event_listener(leptos::ev::focus, move |_| tick.update(|t| *t += 1));
        on_cleanup(move || focus.remove());
    });
    // Client-side only, and not at all until something asks: the rendered figure is fresh.
    let live = LocalResource::new(move || {
        let asked = (session.balance_version(), tick.get());
        async move {
            if asked == (0, 0) {
                return None;
            }
            crate::auth::current_viewer()
                .await
                .ok()
                .flatten()
                .map(|v| v.balance)
        }
    });
    view! {
        <span class="balance" data-testid="nav-balance" title=tr::nav_balance(lang)>
            {move || live.get().flatten().unwrap_or(rendered).to_string()}
        </span>
    }
}

/// Shows `children` to a signed-in viewer (a staff member when `staff` is set). A visitor is
/// sent to the sign-in page; a customer on a staff page gets 403. The server functions behind
/// each page check the same again: this guard is for people, not for security.
#[component]
pub fn RequireViewer(
    #[prop(optional)] staff: bool,
    /// The page's title, when the guarded content is a whole page (set before the caller is
    /// known, so it is in the first bytes the server sends).
    #[prop(optional)]
    title: Option<&'static str>,
    children: ChildrenFn,
) -> impl IntoView {
    let session = Session::expect();
    let children = StoredValue::new(children);
    view! {
        {title.map(|text| view! { <Title text=text/> })}
        <Suspense fallback=|| view! { <Loading/> }>
            {move || Suspend::new(async move {
                match session.viewer.await {
                    // Staff reach staff pages only once two-factor sign-in is set up.
                    Ok(Some(viewer)) if staff && viewer.needs_two_factor_setup() => {
                        view! { <Redirect path="/account/two-factor"/> }.into_any()
                    }
                    Ok(Some(viewer)) if !staff || viewer.is_staff() => {
                        children.with_value(|c| c()).into_any()
                    }
                    Ok(Some(_)) => view! { <Forbidden/> }.into_any(),
                    Ok(None) => view! { <Redirect path="/login"/> }.into_any(),
                    Err(e) => view! { <Notice kind=NoticeKind::Error>{e.localized(crate::i18n::use_lang())}</Notice> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
pub fn Forbidden() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(http::StatusCode::FORBIDDEN);
    }
    let lang = use_lang();
    view! {
        <Title text=tr::no_access_title(lang)/>
        <PageHeader title=tr::no_access_title(lang)/>
        <Notice kind=NoticeKind::Error>{tr::no_access_text(lang)}</Notice>
    }
}

#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(http::StatusCode::NOT_FOUND);
    }
    let lang = use_lang();
    view! {
        <Title text=tr::not_found_title(lang)/>
        <PageHeader title=tr::not_found_heading(lang)/>
        <p>{tr::not_found_text(lang)} " " <a href="/">{tr::not_found_start(lang)}</a></p>
    }
}

/// Shown instead of a page whose code could not be downloaded (the connection dropped while
/// the browser fetched the page group's WebAssembly). Trying again downloads it again: a
/// failed download is not remembered, so the retry starts afresh.
#[component]
pub fn PageLoadFailed() -> impl IntoView {
    let lang = use_lang();
    let retry = move |_| {
        #[cfg(feature = "hydrate")]
        if let Some(window) = web_sys::window() {
            let _ = window.location().reload();
        }
    };
    view! {
        <Title text=tr::page_load_failed_title(lang)/>
        <PageHeader title=tr::page_load_failed_title(lang)/>
        <Notice kind=NoticeKind::Error>{tr::page_load_failed_text(lang)}</Notice>
        <p><button type="button" class="button" on:click=retry>{tr::page_load_failed_retry(lang)}</button></p>
    }
}

/// `/`: customers start at the composer, staff at the console, visitors at sign-in.
#[component]
pub fn Home() -> impl IntoView {
    let session = Session::expect();
    view! {
        <Suspense fallback=|| view! { <Loading/> }>
            {move || Suspend::new(async move {
                let to = match session.viewer.await {
                    Ok(Some(v)) if v.needs_two_factor_setup() => "/account/two-factor",
                    Ok(Some(v)) if v.is_staff() => "/admin",
                    Ok(Some(_)) => "/broadcast",
                    _ => "/login",
                };
                view! { <Redirect path=to/> }
            })}
        </Suspense>
    }
}
