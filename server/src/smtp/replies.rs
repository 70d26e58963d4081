//! Hands Ferry's answers to mails (`engine::email_replies`, a durable outbox) to the relay in
//! `[smtp] reply_relay`: a small SMTP client (EHLO, MAIL, RCPT, DATA), one connection per
//! answer, retried with exponential back-off (10 s doubling to an hour) for a day. Answers are
//! marked `Auto-Submitted: auto-replied` (RFC 3834) so that mail systems do not answer them.

use engine::db::Db;
use engine::email_replies::{self, DueReply};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

/// One answer's whole conversation with the relay.
const DELIVERY_TIMEOUT: Duration = Duration::from_secs(60);
const POLL: Duration = Duration::from_millis(500);

pub struct ReplySender {
    pub relay: String,
    pub from: String,
    pub hostname: String,
}

/// Sends due answers until the task is aborted.
pub async fn run(db: Db, sender: ReplySender) {
    loop {
        match email_replies::due(&db, 20).await {
            Ok(due) if !due.is_empty() => {
                for reply in due {
                    let outcome = match tokio::time::timeout(
                        DELIVERY_TIMEOUT,
                        deliver(&sender, &reply),
                    )
                    .await
                    {
                        Ok(outcome) => outcome,
                        Err(_) => Err("the relay did not answer in time".to_string()),
                    };
                    let stored = match outcome {
                        Ok(()) => email_replies::mark_sent(&db, reply.id).await,
                        Err(e) => {
                            tracing::warn!(reply = reply.id, error = %e, "mail answer not handed over");
                            email_replies::mark_failed(&db, &reply, backoff_ms(reply.attempts), &e)
                                .await
                        }
                    };
                    if let Err(e) = stored {
                        tracing::error!(error = %e, "recording a mail answer failed");
                    }
                }
                continue;
            }
            Ok(_) => {}
            Err(e) => tracing::error!(error = %e, "reading mail answers failed"),
        }
        tokio::time::sleep(POLL).await;
    }
}

fn backoff_ms(attempts: i64) -> i64 {
    let doublings = u32::try_from(attempts.clamp(0, 20)).unwrap_or(20);
    (10_000i64 << doublings).min(3_600_000)
}

/// Reads one reply (its last line has a space after the code); `Err` with the text unless
/// the code is `want`.
async fn expect(io: &mut BufReader<TcpStream>, want: &[u16], step: &str) -> Result<(), String> {
    let mut text = String::new();
    loop {
        let mut line = String::new();
        let n = io
            .read_line(&mut line)
            .await
            .map_err(|e| format!("{step}: {e}"))?;
        if n == 0 || text.len() > 16 * 1024 {
            return Err(format!("{step}: the relay closed the connection"));
        }
        text.push_str(&line);
        if line.as_bytes().get(3) != Some(&b'-') {
            let code: u16 = line.get(..3).and_then(|c| c.parse().ok()).unwrap_or(0);
            return if want.contains(&code) {
                Ok(())
            } else {
                Err(format!("{step}: {}", text.trim_end()))
            };
        }
    }
}

async fn command(
    io: &mut BufReader<TcpStream>,
    line: &str,
    want: &[u16],
    step: &str,
) -> Result<(), String> {
    io.get_mut()
        .write_all(format!("{line}\r\n").as_bytes())
        .await
        .map_err(|e| format!("{step}: {e}"))?;
    expect(io, want, step).await
}

async fn deliver(sender: &ReplySender, reply: &DueReply) -> Result<(), String> {
    let stream = TcpStream::connect(&sender.relay)
        .await
        .map_err(|e| format!("connecting to {}: {e}", sender.relay))?;
    let mut io = BufReader::new(stream);
    expect(&mut io, &[220], "greeting").await?;
    command(
        &mut io,
        &format!("EHLO {}", sender.hostname),
        &[250],
        "EHLO",
    )
    .await?;
    command(
        &mut io,
        &format!("MAIL FROM:<{}>", sender.from),
        &[250],
        "MAIL",
    )
    .await?;
    command(
        &mut io,
        &format!("RCPT TO:<{}>", reply.to_address),
        &[250, 251],
        "RCPT",
    )
    .await?;
    command(&mut io, "DATA", &[354], "DATA").await?;
    let mut data = message(sender, reply).into_bytes();
    data.extend_from_slice(b".\r\n");
    io.get_mut()
        .write_all(&data)
        .await
        .map_err(|e| format!("sending the answer: {e}"))?;
    expect(&mut io, &[250], "end of DATA").await?;
    let _ = command(&mut io, "QUIT", &[221], "QUIT").await;
    Ok(())
}

/// A header value of ours: one line, no control characters; non-ASCII as RFC 2047 UTF-8.
fn header_text(s: &str) -> String {
    let line: String = s.chars().filter(|c| !c.is_control()).collect();
    if line.is_ascii() {
        return line;
    }
    use base64::Engine as _;
    format!(
        "=?UTF-8?B?{}?=",
        base64::engine::general_purpose::STANDARD.encode(line)
    )
}

/// The answer as an RFC 5322 message, CRLF line ends, dot-stuffed for DATA.
fn message(sender: &ReplySender, reply: &DueReply) -> String {
    let date = time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc2822)
        .unwrap_or_default();
    let mut out = String::new();
    let mut header = |name: &str, value: &str| {
        out.push_str(name);
        out.push_str(": ");
        out.push_str(value);
        out.push_str("\r\n");
    };
    header("From", &format!("Ferry <{}>", sender.from));
    header("To", &format!("<{}>", reply.to_address));
    header("Subject", &header_text(&reply.subject));
    header("Date", &date);
    header(
        "Message-ID",
        &format!("<ferry-answer-{}@{}>", reply.id, sender.hostname),
    );
    // Only a plain id is echoed back (it came from the customer's mail).
    if let Some(id) = reply.in_reply_to.as_deref().filter(|id| {
        !id.is_empty()
            && id.len() <= 250
            && id
                .bytes()
                .all(|b| b.is_ascii_graphic() && b != b'<' && b != b'>')
    }) {
        header("In-Reply-To", &format!("<{id}>"));
        header("References", &format!("<{id}>"));
    }
    header("Auto-Submitted", "auto-replied");
    header("MIME-Version", "1.0");
    header("Content-Type", "text/plain; charset=utf-8");
    header("Content-Transfer-Encoding", "8bit");
    out.push_str("\r\n");
    for line in reply.body.lines() {
        if line.starts_with('.') {
            out.push('.');
        }
        out.push_str(line);
        out.push_str("\r\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn back_off_doubles_from_ten_seconds_to_an_hour() {
        assert_eq!(backoff_ms(0), 10_000);
        assert_eq!(backoff_ms(1), 20_000);
        assert_eq!(backoff_ms(9), 3_600_000);
        assert_eq!(backoff_ms(1_000), 3_600_000);
    }

    #[test]
    fn answers_are_one_line_headers_dot_stuffed_and_marked_automatic() {
        let sender = ReplySender {
            relay: "relay:25".into(),
            from: "ferry@h".into(),
            hostname: "h".into(),
        };
        let reply = DueReply {
            id: 7,
            to_address: "ops@customer.example".into(),
            subject: "Sent: batch 3\r\nBcc: x@y".into(),
            body: "line one\n.dot line\n".into(),
            in_reply_to: Some("a@b>\r\nX: y".into()),
            created_at: 0,
            attempts: 0,
        };
        let m = message(&sender, &reply);
        assert!(m.contains("Subject: Sent: batch 3Bcc: x@y\r\n"), "{m}");
        assert!(!m.contains("In-Reply-To"), "a bad id is not echoed: {m}");
        assert!(m.contains("Auto-Submitted: auto-replied\r\n"));
        assert!(m.ends_with("\r\n\r\nline one\r\n..dot line\r\n"), "{m}");
        assert_eq!(header_text("已發送"), "=?UTF-8?B?5bey55m86YCB?=");
    }
}
