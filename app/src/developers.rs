//! The API's docs page (`/developers`, §11): how to get a key, sending and reading statuses in
//! curl and Python `requests`, delivery-status callbacks and how to verify their signature,
//! and the OpenAPI document generated from the server's code (`/api/v1/openapi.json`). Public:
//! people read it before they have an account.

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
    view! {
        <PageHeader title="API" subtitle="Send from your own system"/>
        <section class="card" aria-labelledby="api-start">
            <h2 id="api-start">"Start"</h2>
            <ol>
                <li>"Create a key on the " <a href="/account">"Account page"</a> " under API keys. It is shown once; keep it secret."</li>
                <li>"Send it with every request as " <code>"Authorization: Bearer <key>"</code> ". It acts for its own account only, within that account's IP allow-list."</li>
                <li>"Amounts are whole numbers of 1/10,000 HKD. Every error is " <code>"{\"error\": {\"code\", \"message\", \"field\", \"row\"}}"</code> " with the matching HTTP status."</li>
            </ol>
            <p>
                "The full reference is the OpenAPI 3.1 document, generated from the server's code: "
                <a href="/api/v1/openapi.json" data-testid="openapi-link">"/api/v1/openapi.json"</a>
                ". Load it into Postman, Insomnia or an OpenAPI client generator."
            </p>
        </section>
        <section class="card" aria-labelledby="api-send">
            <h2 id="api-send">"Send and read statuses"</h2>
            <p>"Up to 20 numbers per " <code>"POST /api/v1/messages"</code> " (one message id per accepted number, a reason per refused one); up to 50,000 per " <code>"POST /api/v1/batches"</code> ". An " <code>"Idempotency-Key"</code> " makes a retried request return its first answer instead of sending again."</p>
            <Example label="curl: send" code=CURL_SEND/>
            <Example label="curl: a message, a batch, the balance" code=CURL_READ/>
            <Example label="Python requests: a bulk send and its progress" code=PYTHON/>
        </section>
        <section class="card" aria-labelledby="api-callbacks">
            <h2 id="api-callbacks">"Delivery-status callbacks"</h2>
            <p>"With " <code>"callback_url"</code> " in a send (or a default in Settings), each message's final status is POSTed to it as JSON (" <code>"type: message.status"</code> ", the message as " <code>"GET /api/v1/messages/{id}"</code> " shows it). Answer 2xx within 10 seconds; anything else is retried after 10 s, 20 s, 40 s … for 24 hours. Drop repeats by " <code>"Ferry-Event-Id"</code> ". The signing secret is on the Account page."</p>
            <Example label="Python: verify a callback's signature" code=VERIFY/>
        </section>
        <section class="card" aria-labelledby="api-replies">
            <h2 id="api-replies">"Replies (two-way)"</h2>
            <p>"Replies to your inbound numbers are in the " <a href="/inbox">"Inbox"</a> ", in " <code>"GET /api/v1/replies"</code> " (newest first; " <code>"from"</code> ", " <code>"since"</code> ", " <code>"until"</code> ", and " <code>"before"</code> " = the previous page's " <code>"next_before"</code> ") and " <code>"GET /api/v1/replies/{id}"</code> ", and each one is POSTed to the 2-way callback URL in Settings as " <code>"type: reply.received"</code> ", signed and retried like status callbacks. A reply of STOP (or T, 退訂) puts its number on your opt-out list: sends to it are refused with error 18."</p>
        </section>
    }
}
