//! The API's docs page (`/developers`, §11): how to get a key, sending and reading statuses in
//! curl and Python `requests`, delivery-status callbacks and how to verify their signature,
//! and the OpenAPI document generated from the server's code (`/api/v1/openapi.json`). Public:
//! people read it before they have an account.

use crate::i18n::{tr, use_lang};
use crate::ui::PageHeader;
use leptos::prelude::*;

const CURL_SEND: &str = r#"export FERRY_URL=http://127.0.0.1:3000   # your Ferry's address
export FERRY_KEY=...                       # from Account → API keys

curl -s "$FERRY_URL/api/v1/messages" \
  -H "Authorization: Bearer $FERRY_KEY" \
  -H "Content-Type: application/json" \
  -H "Idempotency-Key: order-4711" \
  -d '{"to": ["+852 9123 4567", "61234567"],
       "text": "Your code is 123456",
       "route": "hk_economic",
       "callback_url": "https://example.com/sms-status"}'"#;

const CURL_READ: &str = r#"curl -s "$FERRY_URL/api/v1/messages/MESSAGE_ID" -H "Authorization: Bearer $FERRY_KEY"
curl -s "$FERRY_URL/api/v1/batches/BATCH_ID?page=1" -H "Authorization: Bearer $FERRY_KEY"
curl -s "$FERRY_URL/api/v1/balance" -H "Authorization: Bearer $FERRY_KEY""#;

const PYTHON: &str = r#"import os, requests

ferry = requests.Session()
ferry.headers["Authorization"] = "Bearer " + os.environ["FERRY_KEY"]
url = os.environ.get("FERRY_URL", "http://127.0.0.1:3000") + "/api/v1"

answer = ferry.post(f"{url}/batches", json={
    "to": numbers,                 # up to 50,000
    "text": "Our shop opens at 10:00 tomorrow.",
    "route": "hk_business",
    "sender_id": "MYSHOP",
    "purpose": "promotion",
}, headers={"Idempotency-Key": "newsletter-2026-12"}, timeout=60)
if answer.status_code != 201:
    error = answer.json()["error"]      # one shape for every error
    raise SystemExit(f"{error['code']}: {error['message']} (field {error.get('field')})")
batch = ferry.get(f"{url}/batches/{answer.json()['batch_id']}", timeout=30).json()
print(batch["progress_percent"], batch["counts"])"#;

const VERIFY: &str = r#"import hmac, hashlib, time

def verified(secret: str, headers, body: bytes, tolerance_s=300) -> bool:
    t = headers["Ferry-Timestamp"]
    mac = hmac.new(secret.encode(), t.encode() + b"." + body, hashlib.sha256).hexdigest()
    return (hmac.compare_digest("v1=" + mac, headers["Ferry-Signature"])
            and abs(time.time() - int(t)) <= tolerance_s)"#;

#[component]
fn Example(#[prop(into)] label: String, code: &'static str) -> impl IntoView {
    view! {
        <figure class="example">
            <figcaption>{label}</figcaption>
            <pre tabindex="0"><code>{code}</code></pre>
        </figure>
    }
}

#[component]
pub fn DevelopersPage() -> impl IntoView {
    let lang = use_lang();
    view! {
        <PageHeader title=tr::account_dev_title(lang) subtitle=tr::account_dev_subtitle(lang)/>
        <section class="card" aria-labelledby="api-start">
            <h2 id="api-start">{tr::account_dev_start(lang)}</h2>
            <ol>
                <li>{tr::account_dev_key_1(lang)} <a href="/account">{tr::account_dev_key_link(lang)}</a> {tr::account_dev_key_2(lang)}</li>
                <li>{tr::account_dev_bearer_1(lang)} <code>"Authorization: Bearer <key>"</code> {tr::account_dev_bearer_2(lang)}</li>
                <li>{tr::account_dev_amounts_1(lang)} <code>"{\"error\": {\"code\", \"message\", \"field\", \"row\"}}"</code> {tr::account_dev_amounts_2(lang)}</li>
            </ol>
            <p>
                {tr::account_dev_reference_1(lang)}
                <a href="/api/v1/openapi.json" data-testid="openapi-link">"/api/v1/openapi.json"</a>
                {tr::account_dev_reference_2(lang)}
            </p>
        </section>
        <section class="card" aria-labelledby="api-send">
            <h2 id="api-send">{tr::account_dev_send_heading(lang)}</h2>
            <p>{tr::account_dev_send_1(lang)} <code>"POST /api/v1/messages"</code> {tr::account_dev_send_2(lang)} <code>"POST /api/v1/batches"</code> {tr::account_dev_send_3(lang)} <code>"Idempotency-Key"</code> {tr::account_dev_send_4(lang)}</p>
            <Example label=tr::account_dev_example_send(lang) code=CURL_SEND/>
            <Example label=tr::account_dev_example_read(lang) code=CURL_READ/>
            <Example label=tr::account_dev_example_python(lang) code=PYTHON/>
        </section>
        <section class="card" aria-labelledby="api-callbacks">
            <h2 id="api-callbacks">{tr::account_dev_callbacks_heading(lang)}</h2>
            <p>{tr::account_dev_callbacks_1(lang)} <code>"callback_url"</code> {tr::account_dev_callbacks_2(lang)} <code>"type: message.status"</code> {tr::account_dev_callbacks_3(lang)} <code>"GET /api/v1/messages/{id}"</code> {tr::account_dev_callbacks_4(lang)} <code>"Ferry-Event-Id"</code> {tr::account_dev_callbacks_5(lang)}</p>
            <Example label=tr::account_dev_example_verify(lang) code=VERIFY/>
        </section>
        <section class="card" aria-labelledby="api-replies">
            <h2 id="api-replies">{tr::account_dev_replies_heading(lang)}</h2>
            <p>
                {tr::account_dev_replies_1(lang)} <a href="/inbox">{tr::account_dev_replies_inbox(lang)}</a>
                {tr::account_dev_replies_2(lang)} <code>"GET /api/v1/replies"</code>
                {tr::account_dev_replies_3(lang)} <code>"from"</code>
                {tr::account_dev_replies_comma(lang)} <code>"since"</code>
                {tr::account_dev_replies_comma(lang)} <code>"until"</code>
                {tr::account_dev_replies_and(lang)} <code>"before"</code>
                {tr::account_dev_replies_4(lang)} <code>"next_before"</code>
                {tr::account_dev_replies_5(lang)} <code>"GET /api/v1/replies/{id}"</code>
                {tr::account_dev_replies_6(lang)} <code>"type: reply.received"</code>
                {tr::account_dev_replies_7(lang)}
            </p>
        </section>
    }
}
