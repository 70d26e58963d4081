//! The email API (PRODUCT.md §11): an SMTP listener (`[smtp] listen`, off by default) that
//! turns a mail into a send. The conversation is `session` (RFC 5321 with STARTTLS and AUTH,
//! no I/O), what a mail means is `mail`, and this module drives connections: bounded lines,
//! bounded mails, timeouts, a connection limit, TLS, the API key check and the send itself
//! through the JSON API's path (`api::send::submit_request`), so the rules and refusals are the
//! same for every door.
//!
//! A mail is answered after its batch is stored (`250 2.0.0 Sent as batch …`), or refused with
//! the reason (`550 5.7.1 …`). It is claimed by its identity first (`engine::email_intake`):
//! the same mail sent again, however long after and even if Ferry died between storing the
//! batch and answering, is answered with the first batch and not sent again.

mod mail;
mod replies;
mod session;

use crate::api::send::submit_request;
use crate::api::{admit, within_limit, ApiState, Caller};
use crate::config::Config;
use app::auth::context::ServerState;
use engine::email_intake::{self, Intake};
use engine::email_replies;
use session::{Reply, Session, Step};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tokio_rustls::TlsAcceptor;

/// A whole mail (DATA) must arrive within this, however slowly it trickles.
const DATA_TIMEOUT: Duration = Duration::from_secs(600);
/// Message ids listed in the answer; a larger batch is read with the API.
const LISTED_IDS: i64 = 20;

#[derive(Debug, thiserror::Error)]
pub enum SmtpStartError {
    #[error("cannot listen for SMTP on {addr}: {source}")]
    Listen {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
    #[error("the email API's certificate: {0}")]
    Tls(#[from] crate::tls::TlsError),
}

struct Context {
    api: ApiState,
    /// Answers are also mailed (a relay is configured).
    answer_by_mail: bool,
    hostname: String,
    tls: Option<TlsAcceptor>,
    max_message_bytes: usize,
    idle: Duration,
}

/// The running listener.
pub struct SmtpListener {
    pub addr: SocketAddr,
    task: tokio::task::JoinHandle<()>,
    answers: Option<tokio::task::JoinHandle<()>>,
}

impl SmtpListener {
    pub fn shutdown(self) {
        self.task.abort();
        if let Some(answers) = self.answers {
            answers.abort();
        }
    }
}

/// Starts the listener when `[smtp] listen` is set.
pub async fn start(
    config: &Config,
    server: ServerState,
) -> Result<Option<SmtpListener>, SmtpStartError> {
    let settings = &config.smtp;
    let Some(addr) = settings.listen else {
        return Ok(None);
    };
    let tls = match config.smtp_tls_files()? {
        Some((cert, key)) => Some(crate::tls::acceptor(cert, key, &[])?),
        None => None,
    };
    let listener = TcpListener::bind(addr)
        .await
        .map_err(|source| SmtpStartError::Listen { addr, source })?;
    let addr = listener
        .local_addr()
        .map_err(|source| SmtpStartError::Listen { addr, source })?;
    let answers = settings.reply_relay.clone().map(|relay| {
        tokio::spawn(replies::run(
            server.db.clone(),
            replies::ReplySender {
                relay,
                from: settings.reply_from.clone(),
                hostname: settings.hostname.clone(),
            },
        ))
    });
    let context = Arc::new(Context {
        answer_by_mail: answers.is_some(),
        api: ApiState::new(server, &config.api),
        hostname: settings.hostname.clone(),
        tls,
        max_message_bytes: settings.max_message_bytes,
        idle: Duration::from_secs(settings.idle_timeout_s.max(1)),
    });
    let slots = Arc::new(Semaphore::new(settings.max_connections.max(1)));
    let task = tokio::spawn(accept_loop(listener, context, slots));
    Ok(Some(SmtpListener {
        addr,
        task,
        answers,
    }))
}

async fn accept_loop(listener: TcpListener, context: Arc<Context>, slots: Arc<Semaphore>) {
    loop {
        let Ok(permit) = slots.clone().acquire_owned().await else {
            return;
        };
        let (stream, peer) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(e) => {
                // Out of file descriptors and the like: wait, rather than spin.
                tracing::warn!(error = %e, "SMTP accept failed");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let context = context.clone();
        tokio::spawn(async move {
            connection(stream, peer, &context).await;
            drop(permit);
        });
    }
}

enum End {
    Closed,
    StartTls,
}

async fn connection(tcp: TcpStream, peer: SocketAddr, context: &Context) {
    let _ = tcp.set_nodelay(true);
    let mut session = Session::new(
        &context.hostname,
        context.tls.is_some(),
        context.max_message_bytes,
    );
    let mut plain = BufReader::new(tcp);
    if send(&mut plain, &session.greeting()).await.is_err() {
        return;
    }
    let mut caller = None;
    let end = converse(&mut plain, &mut session, context, peer, &mut caller).await;
    let (Ok(End::StartTls), Some(acceptor)) = (end, context.tls.clone()) else {
        return;
    };
    // RFC 3207 §4.2: nothing may follow STARTTLS before the handshake; a client that
    // pipelined commands after it is hung up on rather than having them run after TLS.
    if !plain.buffer().is_empty() {
        return;
    }
    let tls = match tokio::time::timeout(context.idle, acceptor.accept(plain.into_inner())).await {
        Ok(Ok(tls)) => tls,
        Ok(Err(e)) => {
            tracing::debug!(%peer, error = %e, "SMTP TLS handshake failed");
            return;
        }
        Err(_) => return,
    };
    session.tls_started();
    let mut caller = None;
    let mut tls = BufReader::new(tls);
    let _ = converse(&mut tls, &mut session, context, peer, &mut caller).await;
}

async fn send<S: AsyncWrite + Unpin>(io: &mut S, reply: &Reply) -> std::io::Result<()> {
    io.write_all(reply.wire().as_bytes()).await?;
    io.flush().await
}

enum Line {
    Text(Vec<u8>),
    TooLong,
    Eof,
}

/// One line (LF or CRLF), at most `max` bytes kept; a longer one is read to its end and
/// reported as too long.
async fn read_line<R: AsyncBufRead + Unpin>(io: &mut R, max: usize) -> std::io::Result<Line> {
    let mut line = Vec::new();
    let mut too_long = false;
    loop {
        let available = io.fill_buf().await?;
        if available.is_empty() {
            return Ok(Line::Eof);
        }
        let (chunk, used, done) = match available.iter().position(|b| *b == b'\n') {
            Some(i) => (&available[..i], i + 1, true),
            None => (available, available.len(), false),
        };
        if !too_long && line.len() + chunk.len() <= max + 1 {
            line.extend_from_slice(chunk);
        } else {
            too_long = true;
            line.clear();
        }
        io.consume(used);
        if done {
            break;
        }
    }
    if line.last() == Some(&b'\r') {
        line.pop();
    }
    Ok(if too_long {
        Line::TooLong
    } else {
        Line::Text(line)
    })
}

enum Data {
    Mail(Vec<u8>),
    TooLarge,
    Closed,
}

/// The mail after DATA, dot-unstuffed, up to the lone `.`; one larger than `max` is read to its
/// end and discarded (up to four times `max`, then the connection is dropped).
async fn read_data<R: AsyncBufRead + Unpin>(io: &mut R, max: usize) -> std::io::Result<Data> {
    let mut mail = Vec::new();
    let mut seen = 0usize;
    loop {
        let line = match read_line(io, max).await? {
            Line::Eof => return Ok(Data::Closed),
            Line::TooLong => {
                seen = seen.saturating_add(max + 1);
                Vec::new()
            }
            Line::Text(line) => line,
        };
        if line == b"." {
            break;
        }
        let line = line.strip_prefix(b".").unwrap_or(&line);
        seen = seen.saturating_add(line.len() + 2);
        if seen > max.saturating_mul(4) {
            return Ok(Data::Closed);
        }
        if seen <= max {
            mail.extend_from_slice(line);
            mail.extend_from_slice(b"\r\n");
        }
    }
    Ok(if seen > max {
        Data::TooLarge
    } else {
        Data::Mail(mail)
    })
}

async fn converse<S: AsyncRead + AsyncWrite + Unpin>(
    io: &mut BufReader<S>,
    session: &mut Session,
    context: &Context,
    peer: SocketAddr,
    caller: &mut Option<Caller>,
) -> std::io::Result<End> {
    let timeout = |hostname: &str| {
        Reply::new(
            421,
            format!("4.4.2 {hostname} closing: no command for too long"),
        )
    };
    loop {
        let line = match tokio::time::timeout(
            context.idle,
            read_line(io, session::MAX_COMMAND_LINE),
        )
        .await
        {
            Err(_) => {
                let _ = send(io, &timeout(&context.hostname)).await;
                return Ok(End::Closed);
            }
            Ok(line) => line?,
        };
        let step = match line {
            Line::Eof => return Ok(End::Closed),
            Line::TooLong => session.line_too_long(),
            Line::Text(line) => session.command(&line),
        };
        match step {
            Step::Reply(reply) => send(io, &reply).await?,
            Step::Close(reply) => {
                send(io, &reply).await?;
                return Ok(End::Closed);
            }
            Step::StartTls(reply) => {
                send(io, &reply).await?;
                return Ok(End::StartTls);
            }
            Step::CheckKey(secret) => {
                let outcome = match admit(&context.api, &secret, peer.ip()).await {
                    Ok(admitted) => {
                        *caller = Some(admitted);
                        Ok(())
                    }
                    Err(e) if e.status.is_server_error() => {
                        // Not the client's fault: a temporary failure, and not counted.
                        let reply =
                            Reply::new(454, "4.7.0 Temporary authentication failure; try again");
                        send(io, &reply).await?;
                        continue;
                    }
                    Err(e) => {
                        tracing::info!(%peer, code = e.code, "SMTP AUTH refused");
                        Err(e.message)
                    }
                };
                match session.authenticated(outcome) {
                    Step::Close(reply) => {
                        send(io, &reply).await?;
                        return Ok(End::Closed);
                    }
                    Step::Reply(reply) => send(io, &reply).await?,
                    other => {
                        tracing::error!(?other, "unexpected step after AUTH");
                        return Ok(End::Closed);
                    }
                }
            }
            Step::ReadData(reply) => {
                send(io, &reply).await?;
                let data = match tokio::time::timeout(
                    DATA_TIMEOUT,
                    read_data(io, session.max_message_bytes),
                )
                .await
                {
                    Err(_) => {
                        let _ = send(io, &timeout(&context.hostname)).await;
                        return Ok(End::Closed);
                    }
                    Ok(data) => data?,
                };
                let recipients = std::mem::take(&mut session.recipients);
                let reverse_path = std::mem::take(&mut session.reverse_path);
                session.mail_read();
                let reply = match data {
                    Data::Closed => return Ok(End::Closed),
                    Data::TooLarge => Reply::new(
                        552,
                        format!(
                            "5.3.4 The mail is larger than {} bytes; send long lists as several mails",
                            session.max_message_bytes
                        ),
                    ),
                    Data::Mail(raw) => {
                        let envelope = Envelope {
                            recipients,
                            reverse_path,
                            peer,
                        };
                        take_mail(context, caller.as_ref(), raw, envelope).await
                    }
                };
                send(io, &reply).await?;
            }
        }
    }
}

/// A whole SMTP conversation without the network, a database or TLS, for the `smtp_command`
/// fuzz target in `fuzz/`: `input` is everything a client sends. Lines go through
/// [`read_line`] and the [`Session`], a mail through [`read_data`] and [`mail::read`], as
/// [`converse`] and [`take_mail`] do; a key is accepted when it starts with `k` (so both
/// outcomes are reached) and STARTTLS succeeds on the spot. Returns every reply as sent.
#[doc(hidden)]
pub fn converse_offline(input: &[u8], tls_offered: bool, max_message_bytes: usize) -> Vec<String> {
    let mut io = input;
    let mut session = Session::new("fuzz.example", tls_offered, max_message_bytes);
    let mut replies = vec![session.greeting().wire()];
    futures::executor::block_on(async {
        loop {
            let step = match read_line(&mut io, session::MAX_COMMAND_LINE).await {
                Ok(Line::Text(line)) => session.command(&line),
                Ok(Line::TooLong) => session.line_too_long(),
                Ok(Line::Eof) | Err(_) => break,
            };
            let step = match step {
                Step::CheckKey(secret) => {
                    let outcome = if secret.starts_with('k') {
                        Ok(())
                    } else {
                        Err("unknown key".to_string())
                    };
                    session.authenticated(outcome)
                }
                other => other,
            };
            match step {
                Step::Reply(reply) => replies.push(reply.wire()),
                Step::CheckKey(_) => break,
                Step::Close(reply) => {
                    replies.push(reply.wire());
                    break;
                }
                Step::StartTls(reply) => {
                    replies.push(reply.wire());
                    session.tls_started();
                }
                Step::ReadData(reply) => {
                    replies.push(reply.wire());
                    let data = read_data(&mut io, session.max_message_bytes).await;
                    let recipients = std::mem::take(&mut session.recipients);
                    session.mail_read();
                    match data {
                        Ok(Data::Mail(raw)) => {
                            let reply = match mail::read(&raw, &recipients) {
                                Ok(_) => Reply::new(250, "2.0.0 read"),
                                Err(e) => {
                                    Reply::new(550, format!("5.6.0 {}", short(&e.to_string())))
                                }
                            };
                            replies.push(reply.wire());
                        }
                        Ok(Data::TooLarge) => {
                            replies.push(Reply::new(552, "5.3.4 too large").wire())
                        }
                        Ok(Data::Closed) | Err(_) => break,
                    }
                }
            }
        }
    });
    replies
}

/// [`mail::read`] alone: the MIME mail parser and what Ferry makes of a mail, for the
/// `smtp_mail` fuzz target in `fuzz/`.
#[doc(hidden)]
pub fn read_mail(raw: &[u8], recipients: &[String]) -> bool {
    mail::read(raw, recipients).is_ok()
}

/// A reply line is at most 512 octets (RFC 5321 §4.5.3.1.5); reasons are cut to fit.
fn short(text: &str) -> String {
    const MAX: usize = 440;
    if text.len() <= MAX {
        return text.to_string();
    }
    let mut end = MAX;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &text[..end])
}

/// Where a mail came from and went to (the SMTP envelope).
struct Envelope {
    recipients: Vec<String>,
    /// MAIL FROM, where answers go (empty for `<>`: no answer).
    reverse_path: String,
    peer: SocketAddr,
}

/// Sends the mail (once per identity) and says what became of it: in the SMTP answer, and
/// (with a relay) by mail to its sender, stored before the SMTP answer is given. A mail sent
/// without AUTH is sent for the key in its `X-Ferry-Key` header.
async fn take_mail(
    context: &Context,
    authenticated: Option<&Caller>,
    raw: Vec<u8>,
    envelope: Envelope,
) -> Reply {
    let recipients = envelope.recipients;
    let read = match tokio::task::spawn_blocking(move || mail::read(&raw, &recipients)).await {
        Ok(Ok(mail)) => Ok(mail),
        Ok(Err(e)) => Err(Reply::new(550, format!("5.6.0 {}", short(&e.to_string())))),
        Err(e) => {
            tracing::error!(error = %e, "reading a mail failed");
            return Reply::new(451, "4.3.0 Ferry could not read the mail; try again");
        }
    };
    let message_id = read.as_ref().ok().and_then(|m| m.message_id.clone());
    let caller = match authenticated {
        Some(caller) => caller.clone(),
        None => {
            let key = read.as_ref().ok().and_then(|m| m.key.as_deref());
            match key_in_mail(context, key, envelope.peer).await {
                Ok(caller) => caller,
                Err(refusal) => {
                    if refusal.code >= 500 {
                        answer_stranger(context, &refusal, &envelope.reverse_path, message_id)
                            .await;
                    }
                    return refusal;
                }
            }
        }
    };
    let reply = match read {
        Err(refusal) => refusal,
        Ok(mail) => match within_limit(&context.api, &caller) {
            Err(e) => Reply::new(451, format!("4.7.0 {}", short(&e.message))),
            Ok(()) => send_mail(context, &caller, mail).await,
        },
    };
    context.api.server.access_log.record(
        caller.account_id,
        envelope.peer.ip(),
        "SMTP",
        "/smtp/DATA",
        reply.code,
    );
    // Temporary failures are retried by the sender; a null sender (`<>`) gets no answer.
    let answered = reply.code == 250 || reply.code >= 500;
    if context.answer_by_mail && answered && !envelope.reverse_path.is_empty() {
        // A failure loses only the copy by mail: the SMTP answer still says what happened.
        store_answer(
            &context.api.server.db,
            caller.account_id,
            &envelope.reverse_path,
            &reply,
            message_id.as_deref(),
            false,
        )
        .await;
    }
    reply
}

/// The account a mail sent without AUTH acts for: the one whose key is in `X-Ferry-Key`.
async fn key_in_mail(
    context: &Context,
    key: Option<&str>,
    peer: SocketAddr,
) -> Result<Caller, Reply> {
    let Some(key) = key else {
        return Err(Reply::new(
            550,
            format!(
                "5.7.0 No API key: AUTH with your API key as the password, or put it in an {} header",
                mail::KEY_HEADER
            ),
        ));
    };
    match admit(&context.api, key, peer.ip()).await {
        Ok(caller) => Ok(caller),
        Err(e) if e.status.is_server_error() => Err(Reply::new(
            451,
            "4.7.0 Temporary authentication failure; try again",
        )),
        Err(e) => {
            tracing::info!(%peer, code = e.code, "SMTP key in mail refused");
            Err(Reply::new(
                550,
                format!(
                    "5.7.8 {} ({}): {}",
                    e.code,
                    mail::KEY_HEADER,
                    short(&e.message)
                ),
            ))
        }
    }
}

/// Mails a refusal that no key vouches for (no key, or a wrong one), but only to an address
/// some account registered as its contact, and only a few an hour: anyone can put any address
/// in MAIL FROM, and answering every one of them would make Ferry a source of backscatter.
async fn answer_stranger(
    context: &Context,
    refusal: &Reply,
    reverse_path: &str,
    message_id: Option<String>,
) {
    if !context.answer_by_mail || reverse_path.is_empty() {
        return;
    }
    let db = &context.api.server.db;
    let account_id = match email_replies::stranger_answer_allowed(db, reverse_path).await {
        Ok(Some(account_id)) => account_id,
        Ok(None) => {
            tracing::info!(
                reverse_path,
                "refusal not mailed: not a registered contact address, or answered enough"
            );
            return;
        }
        Err(e) => {
            tracing::error!(error = %e, "looking up who to answer failed");
            return;
        }
    };
    store_answer(
        db,
        account_id,
        reverse_path,
        refusal,
        message_id.as_deref(),
        true,
    )
    .await;
}

/// Queues `reply`, written for people, as a mail to `to_address` (`unvouched`: no valid key
/// vouched for the mail answered).
async fn store_answer(
    db: &engine::db::Db,
    account_id: i64,
    to_address: &str,
    reply: &Reply,
    message_id: Option<&str>,
    unvouched: bool,
) {
    let (subject, body) = answer_mail(reply, message_id);
    let answer = email_replies::NewReply {
        account_id,
        to_address,
        subject: &subject,
        body: &body,
        in_reply_to: message_id,
        unvouched,
    };
    if let Err(e) = email_replies::enqueue(db, &answer).await {
        tracing::error!(error = %e, "storing a mail answer failed");
    }
}

/// The answer by mail: what the SMTP answer says, for people.
fn answer_mail(reply: &Reply, message_id: Option<&str>) -> (String, String) {
    let text: Vec<&str> = reply
        .lines
        .iter()
        .map(|l| {
            l.split_once(' ')
                .filter(|(code, _)| code.contains('.'))
                .map_or(l.as_str(), |(_, rest)| rest)
        })
        .collect();
    let first = text.first().copied().unwrap_or_default();
    let subject = if reply.code == 250 {
        first.split(':').next().unwrap_or("Sent").trim().to_string()
    } else {
        "Not sent: your mail was refused".to_string()
    };
    let about = message_id.map_or_else(
        || "Your mail to Ferry".to_string(),
        |id| format!("Your mail <{id}>"),
    );
    let mut body = format!("{about}:\n\n");
    for line in &text {
        body.push_str(line);
        body.push('\n');
    }
    body.push_str(
        "\nThis answer was sent automatically by Ferry's email API; do not reply to it.\n",
    );
    (subject, body)
}

async fn send_mail(context: &Context, caller: &Caller, mail: mail::MailSend) -> Reply {
    let db = &context.api.server.db;
    let account = caller.account_id;
    let unavailable = || Reply::new(451, "4.3.0 Ferry cannot store mails right now; try again");
    match email_intake::claim(db, account, &mail.identity).await {
        Err(e) => {
            tracing::error!(error = %e, "claiming a mail failed");
            return unavailable();
        }
        Ok(Intake::Sent { batch_id }) => {
            return Reply::new(
                250,
                format!("2.0.0 Already sent as batch {batch_id}: a mail with this Message-ID was sent before, so nothing was sent again"),
            )
        }
        Ok(Intake::InProgress) => {
            return Reply::new(
                451,
                "4.5.0 The same mail (Message-ID) is being handled right now; try again in a few minutes",
            )
        }
        Ok(Intake::New) => {}
    }
    let reference = email_intake::batch_ref(&mail.identity);
    let max = engine::broadcast::store::MAX_RECIPIENTS;
    // A short list's message ids are listed in the reply: the batch answers with its first
    // messages (accepted and refused rows).
    let answered = 2 * LISTED_IDS as usize;
    let submitted = submit_request(
        &context.api,
        caller,
        mail.request,
        (max, answered),
        Some(&reference),
    )
    .await;
    let submitted = match submitted {
        Ok(submitted) => submitted,
        Err(e) => {
            if let Err(release) = email_intake::release(db, account, &mail.identity).await {
                tracing::error!(error = %release, "releasing a refused mail failed");
            }
            if e.status.is_server_error() {
                return Reply::new(451, format!("4.3.0 {}", short(&e.message)));
            }
            let field = e
                .field
                .as_deref()
                .map(|f| format!(" ({f})"))
                .unwrap_or_default();
            return Reply::new(
                550,
                format!("5.7.1 {}{field}: {}", e.code, short(&e.message)),
            );
        }
    };
    let batch_id = submitted.batch_id;
    // The batch carries its reference, so a failure here loses nothing: a resend finds it.
    if let Err(e) = email_intake::record_sent(db, account, &mail.identity, batch_id).await {
        tracing::error!(error = %e, batch_id, "recording a sent mail failed");
    }
    let check = &submitted.check;
    let mut lines = vec![format!(
        "2.0.0 Sent as batch {batch_id}: {} numbers accepted, {} refused, {} part(s) each, {} in all",
        check.recipients, check.rejected_total, check.parts, check.total
    )];
    if check.recipients as i64 <= LISTED_IDS {
        let ids: Vec<String> = submitted
            .messages
            .iter()
            .filter(|m| m.status != sms::DeliveryStatus::UploadFailed)
            .map(|m| format!("{}={}", m.destination, m.id))
            .collect();
        for chunk in ids.chunks(10) {
            lines.push(format!("2.0.0 message ids {}", chunk.join(" ")));
        }
    } else {
        lines.push(format!(
            "2.0.0 read its messages with GET /api/v1/batches/{batch_id}"
        ));
    }
    Reply { code: 250, lines }
}
