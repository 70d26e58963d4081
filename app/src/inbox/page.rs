//! `/inbox` (the replies, searchable, live), `/inbox/:number` (the conversation with one
//! number) and the navigation's unread count, all fed by one live stream per tab.

use super::{
    inbox_conversation, inbox_replies, ConversationLine, InboxMarkAllRead, InboxPage, Reply,
};
use crate::i18n::{tr, use_lang, Lang};
use crate::shell::RequireViewer;
use crate::ui::{
    action_error, format_hkt_in, EmptyState, FormError, Loading, Notice, NoticeKind, PageHeader,
};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

/// The live inbox state the navigation's stream keeps current, for every page of the tab.
#[derive(Debug, Clone, Copy)]
pub struct InboxLive {
    /// Replies not yet read; `None` until the stream has said.
    pub unread: RwSignal<Option<i64>>,
    /// The newest reply's id: a change means a reply arrived.
    pub latest: RwSignal<i64>,
}

impl InboxLive {
    pub fn provide() {
        provide_context(InboxLive {
            unread: RwSignal::new(None),
            latest: RwSignal::new(0),
        });
    }

    pub fn get() -> Option<InboxLive> {
        use_context::<InboxLive>()
    }

    /// Follows `/inbox/events` while the component that calls it is mounted (in the browser).
    pub fn follow(self) {
        #[cfg(feature = "hydrate")]
        {
            use wasm_bindgen::closure::Closure;
            use wasm_bindgen::JsCast;
            #[derive(serde::Deserialize)]
            struct State {
                unread: i64,
                latest: i64,
            }
            Effect::new(move |_| {
                let Ok(source) = web_sys::EventSource::new("/inbox/events") else {
                    return;
                };
                let on_state = Closure::<dyn FnMut(web_sys::MessageEvent)>::new(
                    move |ev: web_sys::MessageEvent| {
                        if let Some(s) = ev
                            .data()
                            .as_string()
                            .and_then(|t| serde_json::from_str::<State>(&t).ok())
                        {
                            self.unread.set(Some(s.unread));
                            self.latest.set(s.latest);
                        }
                    },
                );
                let _ = source
                    .add_event_listener_with_callback("inbox", on_state.as_ref().unchecked_ref());
                on_state.forget();
                let ender = source.clone();
                let on_end = Closure::<dyn FnMut(web_sys::MessageEvent)>::new(
                    move |_: web_sys::MessageEvent| ender.close(),
                );
                let _ =
                    source.add_event_listener_with_callback("end", on_end.as_ref().unchecked_ref());
                on_end.forget();
                let closer = source.clone();
                on_cleanup(move || closer.close());
            });
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = self;
    }
}

/// The navigation's Inbox link with its unread count.
#[component]
pub fn InboxNavLink() -> impl IntoView {
    let lang = use_lang();
    let live = InboxLive::get();
    if let Some(live) = live {
        live.follow();
    }
    let unread = move || live.and_then(|l| l.unread.get()).unwrap_or(0);
    view! {
        <leptos_router::components::A href="/inbox">
            {tr::inbox_title(lang)}
            <Show when=move || { unread() > 0 }>
                " "
                <span class="count-badge" data-testid="nav-unread" aria-label=move || tr::inbox_unread(lang, unread())>
                    {unread}
                </span>
            </Show>
        </leptos_router::components::A>
    }
}

#[component]
pub fn InboxPage() -> impl IntoView {
    let lang = use_lang();
    view! {
        <Title text=tr::inbox_title(lang)/>
        <RequireViewer>
            <Inbox/>
        </RequireViewer>
    }
}

#[component]
fn Inbox() -> impl IntoView {
    let lang = use_lang();
    let query = use_query_map();
    let param = move |name: &'static str| query.with(|q| q.get(name).unwrap_or_default());
    let live = InboxLive::get();
    let mark_all = ServerAction::<InboxMarkAllRead>::new();
    let list = Resource::new(
        move || {
            (
                param("number"),
                param("from"),
                param("to"),
                param("before").parse::<i64>().unwrap_or(0),
                // A new reply, or one read elsewhere, reloads the list.
                live.map(|l| l.latest.get()).unwrap_or(0),
                mark_all.version().get(),
            )
        },
        |(number, from, to, before, _, _)| inbox_replies(number, from, to, before),
    );
    let csv_href = move || {
        let mut q = query.get();
        q.remove("before");
        format!("/inbox/replies.csv{}", q.to_query_string())
    };
    view! {
        <PageHeader title=tr::inbox_title(lang) subtitle=tr::inbox_subtitle(lang)/>
        <section class="card">
            <form method="get" action="/inbox" class="filters" aria-label=tr::inbox_search_label(lang)>
                <div class="field">
                    <label for="inbox-number">{tr::inbox_from_number(lang)}</label>
                    <input id="inbox-number" name="number" inputmode="tel" autocomplete="off" prop:value=move || param("number")/>
                </div>
                <div class="field">
                    <label for="inbox-from">{tr::inbox_received_from(lang)}</label>
                    <input id="inbox-from" type="date" name="from" prop:value=move || param("from")/>
                </div>
                <div class="field">
                    <label for="inbox-to">{tr::inbox_to(lang)}</label>
                    <input id="inbox-to" type="date" name="to" prop:value=move || param("to")/>
                </div>
                <div class="filter-actions">
                    <button type="submit" class="button button-primary">{tr::inbox_search(lang)}</button>
                    <a class="button button-quiet" href="/inbox">{tr::inbox_clear(lang)}</a>
                    <a class="button button-quiet" href=csv_href download>{tr::inbox_download_csv(lang)}</a>
                </div>
            </form>
        </section>
        <Suspense fallback=move || view! { <Loading what=tr::inbox_loading_replies(lang)/> }>
            {move || Suspend::new(async move {
                match list.await {
                    Ok(page) => inbox_list(lang, page, query.get_untracked(), mark_all).into_any(),
                    Err(e) => view! { <Notice kind=NoticeKind::Error>{e.localized(lang)}</Notice> }.into_any(),
                }
            })}
        </Suspense>
    }
}

fn numbers_line(lang: Lang, page: &InboxPage) -> impl IntoView {
    let numbers: Vec<String> = page
        .numbers
        .iter()
        .map(|n| {
            if n.keyword.is_empty() {
                format!("+{}", n.number)
            } else {
                tr::inbox_number_with_keyword(lang, n.keyword.as_str(), format!("+{}", n.number))
            }
        })
        .collect();
    if numbers.is_empty() {
        view! { <p class="muted" data-testid="inbox-numbers">{tr::inbox_no_numbers(lang)}</p> }
            .into_any()
    } else {
        let numbers = numbers.join(tr::inbox_list_separator(lang));
        view! { <p class="muted" data-testid="inbox-numbers">{tr::inbox_numbers(lang, numbers)}</p> }.into_any()
    }
}

fn inbox_list(
    lang: Lang,
    page: InboxPage,
    query: leptos_router::params::ParamsMap,
    mark_all: ServerAction<InboxMarkAllRead>,
) -> impl IntoView {
    let searching = ["number", "from", "to", "before"]
        .iter()
        .any(|k| query.get(k).is_some_and(|v| !v.is_empty()));
    let numbers = numbers_line(lang, &page);
    let older = page.next_before.map(|before| {
        let mut q = query.clone();
        q.remove("before");
        q.insert("before", before.to_string());
        q.to_query_string()
    });
    let unread = page.unread;
    let body = if page.replies.is_empty() {
        let (title, text) = if searching {
            (
                tr::inbox_no_match_title(lang),
                tr::inbox_no_match_text(lang),
            )
        } else {
            (
                tr::inbox_no_replies_title(lang),
                tr::inbox_no_replies_text(lang),
            )
        };
        view! { <EmptyState title=title><p>{text}</p></EmptyState> }.into_any()
    } else {
        view! {
            <div class="table-wrap"><table class="table" data-testid="replies">
                <caption class="visually-hidden">{tr::inbox_caption(lang)}</caption>
                <thead><tr><th scope="col">{tr::inbox_col_from(lang)}</th><th scope="col">{tr::inbox_col_message(lang)}</th><th scope="col">{tr::inbox_to(lang)}</th><th scope="col">{tr::inbox_col_received(lang)}</th></tr></thead>
                <tbody>{page.replies.into_iter().map(|r| reply_row(lang, r)).collect_view()}</tbody>
            </table></div>
        }
        .into_any()
    };
    view! {
        <section class="card">
            {numbers}
            <div class="toolbar">
                <p data-testid="inbox-unread">{tr::inbox_unread(lang, unread)}</p>
                {(unread > 0).then(|| view! {
                    <ActionForm action=mark_all attr:class="inline-form">
                        <button type="submit" class="button button-quiet" disabled=move || mark_all.pending().get()>
                            {move || if mark_all.pending().get() { tr::inbox_marking(lang) } else { tr::inbox_mark_all_read(lang) }}
                        </button>
                    </ActionForm>
                })}
            </div>
            <FormError error=action_error(mark_all.value())/>
            {body}
            {older.map(|q| view! { <nav class="pager" aria-label=tr::inbox_pages(lang)><a href=q>{tr::inbox_older(lang)}</a></nav> })}
        </section>
    }
}

fn reply_row(lang: Lang, r: Reply) -> impl IntoView {
    let href = format!("/inbox/{}", r.sender);
    let class = if r.read { "" } else { "unread" };
    view! {
        <tr class=class>
            <td><a href=href>{format!("+{}", r.sender)}</a>{(!r.read).then(|| view! { " " <span class="badge badge-warn">{tr::inbox_new(lang)}</span> })}</td>
            <td class="message-text">
                {r.text.clone()}
                {r.opted_out.then(|| view! { " " <span class="badge badge-bad" title=tr::inbox_opted_out_title(lang)>{tr::inbox_opted_out(lang)}</span> })}
                {(r.missing_parts > 0).then(|| view! { " " <span class="badge badge-warn" title=tr::inbox_missing_title(lang)>{tr::inbox_parts_missing(lang, r.missing_parts, r.parts)}</span> })}
                {(r.copies > 1).then(|| view! { " " <span class="badge" title=tr::inbox_copies_title(lang)>{tr::inbox_copies(lang, r.copies)}</span> })}
            </td>
            <td>{format!("+{}", r.recipient)}</td>
            <td>{format_hkt_in(lang, r.received_at)}</td>
        </tr>
    }
}

#[component]
pub fn ConversationPage() -> impl IntoView {
    let lang = use_lang();
    view! {
        <Title text=tr::inbox_conversation(lang)/>
        <RequireViewer>
            <Conversation/>
        </RequireViewer>
    }
}

#[component]
fn Conversation() -> impl IntoView {
    let lang = use_lang();
    let params = use_params_map();
    let number = move || params.with(|p| p.get("number").unwrap_or_default());
    let live = InboxLive::get();
    let lines = Resource::new(
        move || (number(), live.map(|l| l.latest.get()).unwrap_or(0)),
        |(number, _)| inbox_conversation(number),
    );
    view! {
        <PageHeader title=tr::inbox_conversation(lang) subtitle=tr::inbox_conversation_subtitle(lang)/>
        <p><a href="/inbox">{tr::inbox_back(lang)}</a></p>
        <Suspense fallback=move || view! { <Loading what=tr::inbox_loading_conversation(lang)/> }>
            {move || Suspend::new(async move {
                match lines.await {
                    Ok(lines) if lines.is_empty() => view! {
                        <section class="card"><EmptyState title=tr::inbox_nothing_title(lang)><p>{tr::inbox_nothing_text(lang)}</p></EmptyState></section>
                    }.into_any(),
                    Ok(lines) => view! {
                        <section class="card">
                            <h2>{format!("+{}", number())}</h2>
                            <ol class="conversation" data-testid="conversation">
                                {lines.into_iter().map(|line| conversation_line(lang, line)).collect_view()}
                            </ol>
                        </section>
                    }.into_any(),
                    Err(e) => view! { <Notice kind=NoticeKind::Error>{e.localized(lang)}</Notice> }.into_any(),
                }
            })}
        </Suspense>
    }
}

fn conversation_line(lang: Lang, line: ConversationLine) -> impl IntoView {
    match line {
        ConversationLine::Sent {
            message_id,
            text,
            status,
            at,
        } => view! {
            <li class="bubble bubble-sent">
                <p class="bubble-text">{text}</p>
                <p class="bubble-meta">{tr::inbox_sent_meta(lang, format_hkt_in(lang, at), message_id, crate::delivery::status_label(lang, status))}</p>
            </li>
        }
        .into_any(),
        ConversationLine::Received(r) => view! {
            <li class="bubble bubble-received">
                <p class="bubble-text">{r.text}</p>
                <p class="bubble-meta">
                    {tr::inbox_reply_meta(lang, format_hkt_in(lang, r.received_at))}
                    {r.opted_out.then(|| format!(" · {}", tr::inbox_meta_opted_out(lang)))}
                </p>
            </li>
        }
        .into_any(),
    }
}
