//! The SOAP 1.1 door (PRODUCT.md §11): `POST /soap` takes document/literal envelopes,
//! `GET /soap?wsdl` serves the WSDL (`ferry.wsdl`) that .NET, Java and Python toolkits build
//! their clients from. It is another way into the JSON API, not a second implementation: keys
//! are admitted by `api::admit`, sends go through `api::send::submit_request` and reads through
//! `api::messages`, so rules, answers and error codes are the same. Faults carry the API's
//! error (`code`, `message`, `field`, `row`, `errorCode`) in their `detail`.
//!
//! Hostile input: the body is at most the API's 4 MB, parsed off the async threads by
//! `xml::parse`, which refuses any DTD (no XXE, no entity expansion) and bounds depth,
//! elements and text. Every failure is a SOAP fault, never a crash.

mod xml;

use crate::api::messages::{path_id, read_balance, read_batch, read_message};
use crate::api::resources::{BatchAccepted, Message};
use crate::api::send::{
    batch_accepted, submit_request, unread_body, ApiPurpose, HkRoute, SendRequest,
};
use crate::api::{admit, bearer_token, within_limit, ApiError, ApiState, Caller};
use app::auth::context::RequestContext;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{RawQuery, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Router};
use http::{header, HeaderMap, HeaderValue, StatusCode};
use std::fmt::Write as _;
use xml::{escape, Element};

/// The namespace of Ferry's operations and types.
pub const NAMESPACE: &str = "urn:ferry:sms:soap:v1";
const SOAP11_ENVELOPE: &str = "http://schemas.xmlsoap.org/soap/envelope/";
const SOAP12_ENVELOPE: &str = "http://www.w3.org/2003/05/soap-envelope";
const WSDL: &str = include_str!("ferry.wsdl");
const XML_CONTENT_TYPE: &str = "text/xml; charset=utf-8";

/// `/soap`, sharing the JSON API's state (its rate limiter counts both doors).
pub(crate) fn routes(state: ApiState) -> Router {
    Router::new()
        .route("/soap", get(describe).post(call))
        .with_state(state)
}

/// `GET /soap?wsdl`: the WSDL, addressed to the server that serves it.
async fn describe(
    State(state): State<ApiState>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    if !query.is_some_and(|q| q.eq_ignore_ascii_case("wsdl")) {
        return (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            "Ferry's SOAP 1.1 endpoint: POST SOAP envelopes here. The WSDL is at /soap?wsdl.\n",
        )
            .into_response();
    }
    let scheme = if state.server.auth.secure_cookies {
        "https"
    } else {
        "http"
    };
    // The Host the client used, when it is a plain host[:port]; the WSDL is only ever served
    // to the one who sent it, and it is escaped regardless.
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| {
            !h.is_empty()
                && h.len() <= 255
                && h.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b".-:[]".contains(&b))
        })
        .unwrap_or("localhost");
    let location = format!("{scheme}://{host}/soap");
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, XML_CONTENT_TYPE)],
        WSDL.replace("{location}", &escape(&location)),
    )
        .into_response()
}

/// A SOAP fault: the API's error, or one of SOAP's own codes.
struct Fault {
    code: FaultCode,
    error: Box<ApiError>,
}

enum FaultCode {
    VersionMismatch,
    MustUnderstand,
    Client,
    Server,
}

impl From<ApiError> for Fault {
    fn from(error: ApiError) -> Self {
        let code = if error.status.is_server_error() {
            FaultCode::Server
        } else {
            FaultCode::Client
        };
        Fault {
            code,
            error: Box::new(error),
        }
    }
}

impl Fault {
    /// One of SOAP's own faults (version, mustUnderstand), with Ferry's code in its detail.
    fn soap(code: FaultCode, error_code: &'static str, message: impl Into<String>) -> Fault {
        Fault {
            code,
            error: Box::new(ApiError::new(StatusCode::BAD_REQUEST, error_code, message)),
        }
    }
}

fn client_fault(code: &'static str, message: impl Into<String>) -> Fault {
    Fault::from(ApiError::new(StatusCode::BAD_REQUEST, code, message))
}

/// `POST /soap`.
async fn call(
    State(state): State<ApiState>,
    context: Option<Extension<RequestContext>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let Some(Extension(context)) = context else {
        return fault_response(ApiError::internal("soap", "request context missing").into());
    };
    let body = match body {
        Ok(body) => body,
        Err(rejection) => return fault_response(unread_body(rejection).into()),
    };
    let envelope = match tokio::task::spawn_blocking(move || xml::parse(&body)).await {
        Ok(Ok(root)) => root,
        Ok(Err(e)) => {
            return fault_response(client_fault(
                "invalid_xml",
                format!("The request is not an XML document Ferry accepts: {e}."),
            ))
        }
        Err(e) => return fault_response(ApiError::internal("soap parse", e).into()),
    };
    let operation = match operation(&envelope) {
        Ok(op) => op,
        Err(fault) => return fault_response(fault),
    };
    let key = match operation.child("apiKey").filter(|k| !k.nil) {
        Some(key) => Ok(key.text.trim().to_string()),
        None => bearer_token(&headers).map_err(|_| {
            ApiError::new(
                StatusCode::UNAUTHORIZED,
                "missing_api_key",
                "Send your API key in <apiKey> (or as the HTTP header `Authorization: Bearer <key>`); create one on the API keys page.",
            )
        }),
    };
    let caller = match key {
        Ok(key) => admit(&state, &key, context.ip).await,
        Err(e) => Err(e),
    };
    let caller = match caller {
        Ok(caller) => caller,
        Err(e) => return fault_response(e.into()),
    };
    let answer = match within_limit(&state, &caller) {
        Err(e) => Err(Fault::from(e)),
        Ok(()) => carry_out(&state, &caller, operation).await,
    };
    let response = match answer {
        Ok(body) => (
            StatusCode::OK,
            [(header::CONTENT_TYPE, XML_CONTENT_TYPE)],
            envelope_around(&body),
        )
            .into_response(),
        Err(fault) => fault_response(fault),
    };
    state.server.access_log.record(
        caller.account_id,
        context.ip,
        "POST",
        &format!("/soap/{}", operation.name),
        response.status().as_u16(),
    );
    response
}

/// The one operation element in the envelope's body.
fn operation(envelope: &Element) -> Result<&Element, Fault> {
    if envelope.is(SOAP12_ENVELOPE, "Envelope") {
        return Err(Fault::soap(FaultCode::VersionMismatch, "version_mismatch", "This is a SOAP 1.2 envelope; Ferry speaks SOAP 1.1 (namespace http://schemas.xmlsoap.org/soap/envelope/), as its WSDL says."));
    }
    if !envelope.is(SOAP11_ENVELOPE, "Envelope") {
        return Err(if envelope.name == "Envelope" {
            Fault::soap(FaultCode::VersionMismatch, "version_mismatch", "The Envelope is not in the SOAP 1.1 namespace http://schemas.xmlsoap.org/soap/envelope/.")
        } else {
            client_fault(
                "not_a_soap_envelope",
                format!(
                    "The document's root is <{}>, not a SOAP 1.1 <Envelope>; see /soap?wsdl.",
                    envelope.name
                ),
            )
        });
    }
    let mut body = None;
    for part in &envelope.children {
        match part.name.as_str() {
            "Header" if part.is(SOAP11_ENVELOPE, "Header") && body.is_none() => {
                if let Some(entry) = part.children.iter().find(|e| e.must_understand) {
                    return Err(Fault::soap(FaultCode::MustUnderstand, "must_understand", format!(
                                "The header <{}> is marked mustUnderstand and Ferry does not know it; Ferry reads no SOAP headers (send the key in <apiKey>).",
                                entry.name
                            )));
                }
            }
            "Body" if part.is(SOAP11_ENVELOPE, "Body") && body.is_none() => body = Some(part),
            _ => {
                return Err(client_fault(
                    "not_a_soap_envelope",
                    format!(
                        "The Envelope holds <{}> where SOAP 1.1 allows an optional <Header> and then one <Body>.",
                        part.name
                    ),
                ))
            }
        }
    }
    let body =
        body.ok_or_else(|| client_fault("not_a_soap_envelope", "The Envelope has no <Body>."))?;
    let [operation] = body.children.as_slice() else {
        return Err(client_fault(
            "unknown_operation",
            format!(
                "The Body holds {} elements; it holds exactly one operation: SendBatch, GetMessageStatus, GetBatchStatus or GetBalance.",
                body.children.len()
            ),
        ));
    };
    let known = [
        "SendBatch",
        "GetMessageStatus",
        "GetBatchStatus",
        "GetBalance",
    ];
    if operation.namespace.as_deref() != Some(NAMESPACE)
        || !known.contains(&operation.name.as_str())
    {
        return Err(client_fault(
            "unknown_operation",
            format!(
                "<{}> (namespace {}) is not an operation of this service: it has SendBatch, GetMessageStatus, GetBatchStatus and GetBalance in the namespace {NAMESPACE}.",
                operation.name,
                operation.namespace.as_deref().unwrap_or("none")
            ),
        ));
    }
    Ok(operation)
}

async fn carry_out(state: &ApiState, caller: &Caller, op: &Element) -> Result<String, Fault> {
    let fields = Fields::of(op)?;
    let mut out = String::new();
    match op.name.as_str() {
        "SendBatch" => {
            let request = fields.send_request()?;
            let submitted = submit_request(
                state,
                caller,
                request,
                (engine::broadcast::store::MAX_RECIPIENTS, 0),
                None,
            )
            .await
            .map_err(|e| Fault::from(soap_field_names(e)))?;
            write_send_batch(&mut out, &batch_accepted(&submitted));
        }
        "GetMessageStatus" => {
            let id = fields.id("messageId")?;
            let message = read_message(state, caller, id).await?;
            out.push_str(&open_response("GetMessageStatusResponse"));
            write_message(&mut out, "message", &message);
            out.push_str("</GetMessageStatusResponse>");
        }
        "GetBatchStatus" => {
            let id = fields.id("batchId")?;
            let page = fields.long("page")?.unwrap_or(1);
            if page < 1 {
                return Err(ApiError::field("page", "The page is a whole number from 1.").into());
            }
            let batch = read_batch(state, caller, id, page).await?;
            write_batch(&mut out, &batch);
        }
        _ => {
            let balance = read_balance(state, caller).await?;
            out.push_str(&open_response("GetBalanceResponse"));
            element(&mut out, "balanceMinor", balance.balance_minor);
            element(&mut out, "heldMinor", balance.held_minor);
            element(&mut out, "availableMinor", balance.available_minor);
            element(&mut out, "currency", "HKD");
            out.push_str("</GetBalanceResponse>");
        }
    }
    Ok(out)
}

/// The API names fields as its JSON does (`schedule_at`, `to[3]` from 0); SOAP clients see
/// their element names (`scheduleAt`, `to[4]` from 1, as XPath counts).
fn soap_field_names(mut error: ApiError) -> ApiError {
    fn rename(field: &str) -> String {
        if let Some(index) = field
            .strip_prefix("to[")
            .and_then(|rest| rest.strip_suffix(']'))
            .and_then(|i| i.parse::<usize>().ok())
        {
            return format!("to[{}]", index + 1);
        }
        let mut out = String::with_capacity(field.len());
        let mut upper = false;
        for c in field.chars() {
            if c == '_' {
                upper = true;
            } else if upper {
                out.extend(c.to_uppercase());
                upper = false;
            } else {
                out.push(c);
            }
        }
        out
    }
    error.field = error.field.as_deref().map(rename);
    for f in &mut error.errors {
        f.field = rename(&f.field);
    }
    error
}

/// An operation's child elements, read as the schema types them.
struct Fields<'a> {
    op: &'a Element,
}

/// The elements each operation takes (besides `apiKey`).
fn allowed(operation: &str) -> &'static [&'static str] {
    match operation {
        "SendBatch" => &[
            "to",
            "text",
            "route",
            "senderId",
            "purpose",
            "scheduleAt",
            "validityMinutes",
            "filterDnc",
            "defaultCountryCode",
            "callbackUrl",
        ],
        "GetMessageStatus" => &["messageId"],
        "GetBatchStatus" => &["batchId", "page"],
        _ => &[],
    }
}

impl<'a> Fields<'a> {
    /// Refuses unknown and repeated elements up front, as the JSON API refuses unknown fields.
    fn of(op: &'a Element) -> Result<Fields<'a>, Fault> {
        let allowed = allowed(&op.name);
        for (i, child) in op.children.iter().enumerate() {
            let name = child.name.as_str();
            if name != "apiKey" && !allowed.contains(&name) {
                return Err(ApiError::field(
                    name,
                    format!(
                        "<{name}> is not part of {}; it takes {}.",
                        op.name,
                        if allowed.is_empty() {
                            "only <apiKey>".to_string()
                        } else {
                            format!("<apiKey>, <{}>", allowed.join(">, <"))
                        }
                    ),
                )
                .into());
            }
            if name != "to" && op.children[..i].iter().any(|c| c.name == name) {
                return Err(ApiError::field(
                    name,
                    format!("<{name}> is given twice; give it once."),
                )
                .into());
            }
            if !child.children.is_empty() {
                return Err(ApiError::field(
                    name,
                    format!("<{name}> holds elements; it holds a value."),
                )
                .into());
            }
        }
        Ok(Fields { op })
    }

    /// The element's text, when it is present and not nil.
    fn text(&self, name: &str) -> Option<&'a str> {
        self.op
            .child(name)
            .filter(|e| !e.nil)
            .map(|e| e.text.as_str())
    }

    fn required(&self, name: &str) -> Result<&'a str, Fault> {
        self.text(name)
            .ok_or_else(|| ApiError::field(name, format!("<{name}> is required.")).into())
    }

    fn long(&self, name: &str) -> Result<Option<i64>, Fault> {
        self.text(name)
            .map(|t| {
                t.trim().parse::<i64>().map_err(|_| {
                    ApiError::field(name, format!("<{name}> is a whole number.")).into()
                })
            })
            .transpose()
    }

    /// A positive id: anything else names nothing (as in the JSON API's paths).
    fn id(&self, name: &str) -> Result<i64, Fault> {
        Ok(path_id(self.required(name)?.trim())?)
    }

    fn boolean(&self, name: &str) -> Result<Option<bool>, Fault> {
        self.text(name)
            .map(|t| match t.trim() {
                "true" | "1" => Ok(true),
                "false" | "0" => Ok(false),
                _ => Err(ApiError::field(name, format!("<{name}> is true or false.")).into()),
            })
            .transpose()
    }

    fn send_request(&self) -> Result<SendRequest, Fault> {
        let route = match self.required("route")?.trim() {
            "HK_BUSINESS" => HkRoute::HkBusiness,
            "HK_ECONOMIC" => HkRoute::HkEconomic,
            _ => {
                return Err(ApiError::field(
                    "route",
                    "<route> is HK_BUSINESS or HK_ECONOMIC (mainland and other numbers take their own routes by themselves).",
                )
                .into())
            }
        };
        let purpose = match self.text("purpose").map(str::trim) {
            None | Some("NOTIFICATION") => ApiPurpose::Notification,
            Some("PROMOTION") => ApiPurpose::Promotion,
            Some(_) => {
                return Err(
                    ApiError::field("purpose", "<purpose> is NOTIFICATION or PROMOTION.").into(),
                )
            }
        };
        let default_country_code = self
            .long("defaultCountryCode")?
            .map(|c| {
                u16::try_from(c).map_err(|_| {
                    Fault::from(ApiError::field(
                        "defaultCountryCode",
                        "<defaultCountryCode> is a country calling code, e.g. 852.",
                    ))
                })
            })
            .transpose()?;
        Ok(SendRequest {
            to: self
                .op
                .children_named("to")
                .map(|e| e.text.clone())
                .collect(),
            text: self.required("text")?.to_string(),
            route,
            sender_id: self.text("senderId").map(|s| s.trim().to_string()),
            purpose,
            schedule_at: self.text("scheduleAt").map(str::to_string),
            validity_minutes: self.long("validityMinutes")?,
            filter_dnc: self.boolean("filterDnc")?.unwrap_or(false),
            default_country_code,
            callback_url: self.text("callbackUrl").map(|s| s.trim().to_string()),
        })
    }
}

fn open_response(name: &str) -> String {
    format!("<{name} xmlns=\"{NAMESPACE}\">")
}

fn element(out: &mut String, name: &str, value: impl std::fmt::Display) {
    let value = value.to_string();
    let _ = write!(out, "<{name}>{}</{name}>", escape(&value));
}

fn optional(out: &mut String, name: &str, value: Option<impl std::fmt::Display>) {
    if let Some(value) = value {
        element(out, name, value);
    }
}

fn write_send_batch(out: &mut String, accepted: &BatchAccepted) {
    let s = &accepted.summary;
    out.push_str(&open_response("SendBatchResponse"));
    element(out, "batchId", s.batch_id);
    element(out, "encoding", &s.encoding);
    element(out, "parts", s.parts);
    element(out, "recipients", s.recipients);
    element(out, "duplicatesRemoved", s.duplicates_removed);
    element(out, "dncFiltered", s.dnc_filtered);
    element(out, "optedOut", s.opted_out);
    element(out, "rejectedTotal", s.rejected_total);
    element(out, "totalCostMinor", s.total_cost_minor);
    element(out, "currency", "HKD");
    optional(out, "scheduledAt", s.scheduled_at.as_ref());
    for r in &accepted.rejected {
        out.push_str("<rejected>");
        optional(out, "row", r.row);
        element(out, "to", &r.to);
        optional(out, "reason", r.reason.as_ref());
        optional(out, "errorCode", r.error_code);
        out.push_str("</rejected>");
    }
    out.push_str("</SendBatchResponse>");
}

fn write_message(out: &mut String, name: &str, m: &Message) {
    let _ = write!(out, "<{name}>");
    element(out, "id", m.id);
    element(out, "batchId", m.batch_id);
    element(out, "to", &m.to);
    element(out, "status", &m.status);
    element(out, "statusCode", m.status_code);
    element(out, "final", m.is_final);
    optional(out, "errorCode", m.error_code);
    optional(out, "error", m.error.as_ref());
    optional(out, "errorExplanation", m.error_explanation.as_ref());
    optional(out, "route", m.route.as_ref());
    element(out, "parts", m.parts);
    element(out, "chargeMinor", m.charge_minor);
    element(out, "currency", "HKD");
    optional(out, "createdAt", m.created_at.as_ref());
    optional(out, "submittedAt", m.submitted_at.as_ref());
    optional(out, "doneAt", m.done_at.as_ref());
    let _ = write!(out, "</{name}>");
}

fn write_batch(out: &mut String, b: &crate::api::resources::Batch) {
    out.push_str(&open_response("GetBatchStatusResponse"));
    out.push_str("<batch>");
    element(out, "id", b.id);
    optional(out, "createdAt", b.created_at.as_ref());
    optional(out, "scheduledAt", b.scheduled_at.as_ref());
    element(out, "deleted", b.deleted);
    element(out, "route", &b.route);
    optional(out, "senderId", b.sender_id.as_ref());
    element(out, "text", &b.text);
    element(out, "parts", b.parts);
    element(out, "totalMessages", b.total_messages);
    element(out, "totalChargeMinor", b.total_charge_minor);
    element(out, "currency", "HKD");
    element(out, "finished", b.finished);
    element(out, "progressPercent", b.progress_percent);
    for c in &b.counts {
        out.push_str("<count>");
        element(out, "status", &c.status);
        element(out, "statusCode", c.status_code);
        element(out, "count", c.count);
        out.push_str("</count>");
    }
    element(out, "canDelete", b.can_delete);
    element(out, "page", b.page);
    element(out, "pages", b.pages);
    for m in &b.messages {
        write_message(out, "message", m);
    }
    out.push_str("</batch></GetBatchStatusResponse>");
}

fn envelope_around(body: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<soap:Envelope xmlns:soap=\"{SOAP11_ENVELOPE}\"><soap:Body>{body}</soap:Body></soap:Envelope>"
    )
}

/// The pure half of `POST /soap`, without a database: the body parsed, its operation found and
/// its fields read as [`call`] and [`carry_out`] do, a `SendBatch` on through the JSON API's
/// checks ([`crate::api::send::check_offline`]). `Err` holds the fault's XML as it would be
/// sent. For the `soap_xml` fuzz target in `fuzz/`.
#[doc(hidden)]
pub fn read_request(body: &[u8]) -> Result<(), Vec<u8>> {
    let checked = xml::parse(body)
        .map_err(|e| {
            client_fault(
                "invalid_xml",
                format!("The request is not an XML document Ferry accepts: {e}."),
            )
        })
        .and_then(|envelope| {
            let op = operation(&envelope)?;
            let fields = Fields::of(op)?;
            match op.name.as_str() {
                "SendBatch" => {
                    let request = fields.send_request()?;
                    crate::api::send::check_offline(
                        request,
                        engine::broadcast::store::MAX_RECIPIENTS,
                    )
                    .map_err(|e| Fault::from(soap_field_names(e)))
                }
                "GetMessageStatus" => fields.id("messageId").map(drop),
                "GetBatchStatus" => {
                    fields.id("batchId")?;
                    fields.long("page").map(drop)
                }
                _ => Ok(()),
            }
        });
    checked.map_err(|fault| {
        let body = fault_response(fault).into_body();
        futures::executor::block_on(axum::body::to_bytes(body, usize::MAX))
            .map(|b| b.to_vec())
            .unwrap_or_default()
    })
}

/// Whether `bytes` is an XML document the SOAP door's reader accepts (the fuzz target checks
/// that every fault it answers is one).
#[doc(hidden)]
pub fn is_accepted_xml(bytes: &[u8]) -> bool {
    xml::parse(bytes).is_ok()
}

/// A fault answers HTTP 500, as SOAP 1.1 over HTTP (and WS-I Basic Profile R1126) requires;
/// the API's status is in the detail's `code`, and a rate limit keeps its `Retry-After`.
fn fault_response(fault: Fault) -> Response {
    let Fault { code, error } = fault;
    let error = *error;
    let faultcode = match code {
        FaultCode::VersionMismatch => "soap:VersionMismatch",
        FaultCode::MustUnderstand => "soap:MustUnderstand",
        FaultCode::Client => "soap:Client",
        FaultCode::Server => "soap:Server",
    };
    let mut body = String::new();
    let _ = write!(
        body,
        "<soap:Fault><faultcode>{faultcode}</faultcode><faultstring>{}</faultstring><detail>",
        escape(&error.message)
    );
    body.push_str(&open_response("FerryError"));
    element(&mut body, "code", error.code);
    element(&mut body, "message", &error.message);
    optional(&mut body, "field", error.field.as_ref());
    optional(&mut body, "row", error.row);
    optional(&mut body, "errorCode", error.error_code);
    optional(&mut body, "retryAfterSeconds", error.retry_after_s);
    body.push_str("</FerryError></detail></soap:Fault>");
    let mut response = (
        StatusCode::INTERNAL_SERVER_ERROR,
        [(header::CONTENT_TYPE, XML_CONTENT_TYPE)],
        envelope_around(&body),
    )
        .into_response();
    if let Some(s) = error.retry_after_s {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(s));
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_field_names_become_element_names() {
        let e = soap_field_names(ApiError::field("schedule_at", "x"));
        assert_eq!(e.field.as_deref(), Some("scheduleAt"));
        assert_eq!(e.errors[0].field, "scheduleAt");
        let e = soap_field_names(ApiError::field("to[3]", "x"));
        assert_eq!(e.field.as_deref(), Some("to[4]"));
        let e = soap_field_names(ApiError::field("text", "x"));
        assert_eq!(e.field.as_deref(), Some("text"));
    }

    #[test]
    fn the_wsdl_is_well_formed_and_names_every_operation() {
        let root = xml::parse(WSDL.replace("{location}", "http://h/soap").as_bytes())
            .expect("the WSDL parses");
        assert!(root.is("http://schemas.xmlsoap.org/wsdl/", "definitions"));
        assert!(root.child("portType").is_some() && root.child("binding").is_some());
        for op in [
            "SendBatch",
            "GetMessageStatus",
            "GetBatchStatus",
            "GetBalance",
        ] {
            assert!(
                WSDL.contains(&format!("<xs:element name=\"{op}\">"))
                    && WSDL.contains(&format!("<wsdl:operation name=\"{op}\">")),
                "{op}"
            );
            assert!(!allowed(op).contains(&"apiKey"));
        }
    }
}
