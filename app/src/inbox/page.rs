//! `/inbox` (the replies, searchable, live), `/inbox/:number` (the conversation with one
//! number) and the navigation's unread count, all fed by one live stream per tab.

use super::{
    inbox_conversation, inbox_replies, ConversationLine, InboxMarkAllRead, InboxPage, Reply,
};
use crate::shell::RequireViewer;
use crate::ui::{
    action_error, format_hkt, EmptyState, FormError, Loading, Notice, NoticeKind, PageHeader,
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
    let live = InboxLive::get();
    if let Some(live) = live {
        live.follow();
    }
    let unread = move || live.and_then(|l| l.unread.get()).unwrap_or(0);
    view! {
        <leptos_router::components::A href="/inbox">
            "Inbox"
            <Show when=move || { unread() > 0 }>
                " "
                <span class="count-badge" data-testid="nav-unread" aria-label=move || format!("{} unread", unread())>
                    {unread}
                </span>
            </Show>
        </leptos_router::components::A>
    }
}

#[component]
pub fn InboxPage() -> impl IntoView {
    view! {
        <Title text="Inbox"/>
        <RequireViewer>
            <Inbox/>
        </RequireViewer>
    }
}

#[component]
fn Inbox() -> impl IntoView {
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
        <PageHeader title="Inbox" subtitle="Replies to your inbound numbers, newest first. Replies older than 2 months are not kept."/>
        <section class="card">
            <form method="get" action="/inbox" class="filters" aria-label="Search replies">
                <div class="field">
                    <label for="inbox-number">"From number"</label>
                    <input id="inbox-number" name="number" inputmode="tel" autocomplete="off" prop:value=move || param("number")/>
                </div>
                <div class="field">
                    <label for="inbox-from">"Received from"</label>
                    <input id="inbox-from" type="date" name="from" prop:value=move || param("from")/>
                </div>
                <div class="field">
                    <label for="inbox-to">"To"</label>
                    <input id="inbox-to" type="date" name="to" prop:value=move || param("to")/>
                </div>
                <div class="filter-actions">
                    <button type="submit" class="button button-primary">"Search"</button>
                    <a class="button button-quiet" href="/inbox">"Clear"</a>
                    <a class="button button-quiet" href=csv_href download>"Download CSV"</a>
                </div>
            </form>
        </section>
        <Suspense fallback=|| view! { <Loading what="replies"/> }>
            {move || Suspend::new(async move {
                match list.await {
                    Ok(page) => inbox_list(page, query.get_untracked(), mark_all).into_any(),
                    Err(e) => view! { <Notice kind=NoticeKind::Error>{e.to_string()}</Notice> }.into_any(),
                }
            })}
        </Suspense>
    }
}

fn numbers_line(page: &InboxPage) -> impl IntoView {
    let numbers: Vec<String> = page
        .numbers
        .iter()
        .map(|n| {
            if n.keyword.is_empty() {
                format!("+{}", n.number)
            } else {
                format!("+{} (keyword {})", n.number, n.keyword)
            }
        })
        .collect();
    if numbers.is_empty() {
        view! { <p class="muted" data-testid="inbox-numbers">"No inbound number is assigned to this account yet: ask Ferry's staff for one, then replies to it arrive here."</p> }.into_any()
    } else {
        view! { <p class="muted" data-testid="inbox-numbers">{format!("Replies to {} arrive here.", numbers.join(", "))}</p> }.into_any()
    }
}

fn inbox_list(
    page: InboxPage,
    query: leptos_router::params::ParamsMap,
    mark_all: ServerAction<InboxMarkAllRead>,
) -> impl IntoView {
    let searching = ["number", "from", "to", "before"]
        .iter()
        .any(|k| query.get(k).is_some_and(|v| !v.is_empty()));
    let numbers = numbers_line(&page);
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
                "No replies match",
                "Nothing arrived from this number in this period.",
            )
        } else {
            (
                "No replies yet",
                "When someone answers one of your messages, the reply shows here at once.",
            )
        };
        view! { <EmptyState title=title><p>{text}</p></EmptyState> }.into_any()
    } else {
        view! {
            <div class="table-wrap"><table class="table" data-testid="replies">
                <caption class="visually-hidden">"Replies, newest first"</caption>
                <thead><tr><th scope="col">"From"</th><th scope="col">"Message"</th><th scope="col">"To"</th><th scope="col">"Received (HKT)"</th></tr></thead>
                <tbody>{page.replies.into_iter().map(reply_row).collect_view()}</tbody>
            </table></div>
        }
        .into_any()
    };
    view! {
        <section class="card">
            {numbers}
            <div class="toolbar">
                <p data-testid="inbox-unread">{format!("{unread} unread")}</p>
                {(unread > 0).then(|| view! {
                    <ActionForm action=mark_all attr:class="inline-form">
                        <button type="submit" class="button button-quiet" disabled=move || mark_all.pending().get()>
                            {move || if mark_all.pending().get() { "Marking…" } else { "Mark all read" }}
                        </button>
                    </ActionForm>
                })}
            </div>
            <FormError error=action_error(mark_all.value())/>
            {body}
            {older.map(|q| view! { <nav class="pager" aria-label="Pages"><a href=q>"Older →"</a></nav> })}
        </section>
    }
}

fn reply_row(r: Reply) -> impl IntoView {
    let href = format!("/inbox/{}", r.sender);
    let class = if r.read { "" } else { "unread" };
    view! {
        <tr class=class>
            <td><a href=href>{format!("+{}", r.sender)}</a>{(!r.read).then(|| view! { " " <span class="badge badge-warn">"New"</span> })}</td>
            <td class="message-text">
                {r.text.clone()}
                {r.opted_out.then(|| view! { " " <span class="badge badge-bad" title="This number is now on your opt-out list: Ferry will not send to it.">"Opted out"</span> })}
                {(r.missing_parts > 0).then(|| view! { " " <span class="badge badge-warn" title="Parts of this reply never arrived.">{format!("{} of {} parts missing", r.missing_parts, r.parts)}</span> })}
                {(r.copies > 1).then(|| view! { " " <span class="badge" title="The operator delivered it more than once; it is kept once.">{format!("delivered {}×", r.copies)}</span> })}
            </td>
            <td>{format!("+{}", r.recipient)}</td>
            <td>{format_hkt(r.received_at)}</td>
        </tr>
    }
}

#[component]
pub fn ConversationPage() -> impl IntoView {
    view! {
        <Title text="Conversation"/>
        <RequireViewer>
            <Conversation/>
        </RequireViewer>
    }
}

#[component]
fn Conversation() -> impl IntoView {
    let params = use_params_map();
    let number = move || params.with(|p| p.get("number").unwrap_or_default());
    let live = InboxLive::get();
    let lines = Resource::new(
        move || (number(), live.map(|l| l.latest.get()).unwrap_or(0)),
        |(number, _)| inbox_conversation(number),
    );
    view! {
        <PageHeader title="Conversation" subtitle="Messages you sent to this number and its replies, oldest first."/>
        <p><a href="/inbox">"← Inbox"</a></p>
        <Suspense fallback=|| view! { <Loading what="the conversation"/> }>
            {move || Suspend::new(async move {
                match lines.await {
                    Ok(lines) if lines.is_empty() => view! {
                        <section class="card"><EmptyState title="Nothing with this number"><p>"No message was sent to it and no reply came from it (records older than 2 months are not kept)."</p></EmptyState></section>
                    }.into_any(),
                    Ok(lines) => view! {
                        <section class="card">
                            <h2>{format!("+{}", number())}</h2>
                            <ol class="conversation" data-testid="conversation">
                                {lines.into_iter().map(conversation_line).collect_view()}
                            </ol>
                        </section>
                    }.into_any(),
                    Err(e) => view! { <Notice kind=NoticeKind::Error>{e.to_string()}</Notice> }.into_any(),
                }
            })}
        </Suspense>
    }
}

fn conversation_line(line: ConversationLine) -> impl IntoView {
    match line {
        ConversationLine::Sent {
            message_id,
            text,
            status,
            at,
        } => view! {
            <li class="bubble bubble-sent">
                <p class="bubble-text">{text}</p>
                <p class="bubble-meta">{format!("You, {} · {} · message {message_id}", format_hkt(at), status.label())}</p>
            </li>
        }
        .into_any(),
        ConversationLine::Received(r) => view! {
            <li class="bubble bubble-received">
                <p class="bubble-text">{r.text}</p>
                <p class="bubble-meta">
                    {format!("Reply, {}", format_hkt(r.received_at))}
                    {r.opted_out.then_some(" · opted out")}
                </p>
            </li>
        }
        .into_any(),
    }
}
