//! The SMTP conversation as a state machine (RFC 5321, STARTTLS from RFC 3207, AUTH PLAIN and
//! LOGIN from RFC 4954), without I/O: each command line goes in, what to answer and do comes
//! out. The connection driver (`super::connection`) does the reading, TLS, key checks and the
//! send; everything a client can get wrong in the order of commands is decided here, where it
//! is tested command by command.

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;

/// Longest command line (RFC 5321 §4.5.3.1.4: 512 octets with CRLF; AUTH lines carry base64
/// keys, so allow a little more).
pub const MAX_COMMAND_LINE: usize = 2048;
/// Recipients (RCPT TO) per mail: RFC 5321 requires servers to take at least 100; lists longer
/// than that go to `bulk@` with the numbers in the body.
pub const MAX_RECIPIENTS: usize = 100;
/// Protocol errors before the server hangs up on a client that is not making progress.
pub const MAX_ERRORS: u32 = 10;

/// An SMTP reply: code, enhanced status code (RFC 3463) and text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub code: u16,
    pub lines: Vec<String>,
}

impl Reply {
    pub fn new(code: u16, text: impl Into<String>) -> Reply {
        Reply {
            code,
            lines: vec![text.into()],
        }
    }

    /// The reply as sent: every line but the last with `-` after the code.
    pub fn wire(&self) -> String {
        let mut out = String::new();
        for (i, line) in self.lines.iter().enumerate() {
            let sep = if i + 1 == self.lines.len() { ' ' } else { '-' };
            // A reply line never carries the client's CR or LF back.
            let line: String = line.chars().filter(|c| *c != '\r' && *c != '\n').collect();
            out.push_str(&format!("{}{sep}{line}\r\n", self.code));
        }
        out
    }
}

/// What the driver does after a line.
#[derive(Debug, PartialEq, Eq)]
pub enum Step {
    Reply(Reply),
    /// Answer, then hang up.
    Close(Reply),
    /// Answer 220, then start TLS on the connection (and forget everything before it).
    StartTls(Reply),
    /// Check this API key, then call [`Session::authenticated`].
    CheckKey(String),
    /// Answer 354 and read the mail up to the lone `.`, then call [`Session::mail_read`].
    ReadData(Reply),
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Phase {
    /// Waiting for EHLO or HELO.
    Greeting,
    /// Greeted; no mail transaction open.
    Ready,
    /// MAIL FROM accepted.
    Mail,
    /// At least one RCPT TO accepted.
    Recipients,
    /// AUTH LOGIN asked for the user name.
    LoginUser,
    /// AUTH LOGIN asked for the password.
    LoginPassword,
    /// AUTH PLAIN asked for its response.
    PlainResponse,
}

/// One connection's conversation.
#[derive(Debug)]
pub struct Session {
    hostname: String,
    /// A certificate is configured (STARTTLS offered, and required before AUTH).
    tls_offered: bool,
    tls_active: bool,
    phase: Phase,
    /// The API key's id once AUTH succeeded.
    authenticated: bool,
    pub reverse_path: String,
    pub recipients: Vec<String>,
    errors: u32,
    pub max_message_bytes: usize,
}

/// A mailbox between `<` and `>` (parameters after it are returned separately).
fn path_and_params(arg: &str) -> Option<(String, &str)> {
    let arg = arg.trim_start();
    let rest = arg.strip_prefix('<')?;
    let end = rest.find('>')?;
    let path = &rest[..end];
    if path.len() > 256 || path.chars().any(|c| c.is_control() || c == ' ') {
        return None;
    }
    Some((path.to_string(), rest[end + 1..].trim()))
}

impl Session {
    pub fn new(hostname: &str, tls_offered: bool, max_message_bytes: usize) -> Session {
        Session {
            hostname: hostname.to_string(),
            tls_offered,
            tls_active: false,
            phase: Phase::Greeting,
            authenticated: false,
            reverse_path: String::new(),
            recipients: Vec::new(),
            errors: 0,
            max_message_bytes,
        }
    }

    pub fn greeting(&self) -> Reply {
        Reply::new(220, format!("{} ESMTP Ferry ready", self.hostname))
    }

    #[cfg(test)]
    pub fn is_authenticated(&self) -> bool {
        self.authenticated
    }

    /// A refusal that counts towards hanging up on the client.
    fn error(&mut self, reply: Reply) -> Step {
        self.errors += 1;
        if self.errors >= MAX_ERRORS {
            return Step::Close(Reply::new(
                421,
                format!(
                    "4.7.0 {} closing: too many errors on this connection",
                    self.hostname
                ),
            ));
        }
        Step::Reply(reply)
    }

    fn ehlo_reply(&self, client: &str) -> Reply {
        let mut lines = vec![format!("{} greets {client}", self.hostname)];
        lines.push("PIPELINING".into());
        lines.push(format!("SIZE {}", self.max_message_bytes));
        lines.push("8BITMIME".into());
        lines.push("ENHANCEDSTATUSCODES".into());
        if self.tls_offered && !self.tls_active {
            lines.push("STARTTLS".into());
        }
        if !self.tls_offered || self.tls_active {
            lines.push("AUTH PLAIN LOGIN".into());
        }
        Reply { code: 250, lines }
    }

    fn reset_transaction(&mut self) {
        self.reverse_path.clear();
        self.recipients.clear();
        if matches!(self.phase, Phase::Mail | Phase::Recipients) {
            self.phase = Phase::Ready;
        }
    }

    /// TLS is up: RFC 3207 says the client starts over with EHLO, and nothing said before it
    /// (not even AUTH) carries over.
    pub fn tls_started(&mut self) {
        self.tls_active = true;
        self.authenticated = false;
        self.reset_transaction();
        self.phase = Phase::Greeting;
    }

    /// The outcome of [`Step::CheckKey`]: `Err` holds why the key was refused.
    pub fn authenticated(&mut self, outcome: Result<(), String>) -> Step {
        self.phase = Phase::Ready;
        match outcome {
            Ok(()) => {
                self.authenticated = true;
                Step::Reply(Reply::new(235, "2.7.0 Authentication succeeded"))
            }
            Err(why) => self.error(Reply::new(
                535,
                format!("5.7.8 Authentication credentials invalid: {why}"),
            )),
        }
    }

    /// The mail was read (or refused for its size); the transaction is over either way.
    pub fn mail_read(&mut self) {
        self.reset_transaction();
    }

    /// A command line longer than [`MAX_COMMAND_LINE`] (read to its end and dropped).
    pub fn line_too_long(&mut self) -> Step {
        self.error(Reply::new(500, "5.5.2 Line too long"))
    }

    /// One command line, without its CRLF.
    pub fn command(&mut self, line: &[u8]) -> Step {
        if line.len() > MAX_COMMAND_LINE {
            return self.line_too_long();
        }
        let Ok(line) = std::str::from_utf8(line) else {
            return self.error(Reply::new(500, "5.5.2 Commands are ASCII"));
        };
        match self.phase {
            Phase::LoginUser => {
                if line == "*" {
                    self.phase = Phase::Ready;
                    return self.error(Reply::new(501, "5.7.0 Authentication cancelled"));
                }
                // The user name is not used: the key (the password) says who is sending.
                self.phase = Phase::LoginPassword;
                return Step::Reply(Reply::new(334, BASE64.encode("Password:")));
            }
            Phase::LoginPassword => return self.auth_response(line, false),
            Phase::PlainResponse => return self.auth_response(line, true),
            _ => {}
        }
        let (verb, arg) = match line.split_once(' ') {
            Some((verb, arg)) => (verb, arg),
            None => (line, ""),
        };
        match verb.to_ascii_uppercase().as_str() {
            "EHLO" | "HELO" => {
                let client = arg.trim();
                if client.is_empty() {
                    return self.error(Reply::new(
                        501,
                        format!("5.5.4 Syntax: {} hostname", verb.to_ascii_uppercase()),
                    ));
                }
                self.reset_transaction();
                self.phase = Phase::Ready;
                if verb.eq_ignore_ascii_case("HELO") {
                    return Step::Reply(Reply::new(250, format!("{} greets {client}", self.hostname)));
                }
                Step::Reply(self.ehlo_reply(client))
            }
            "STARTTLS" => {
                if !self.tls_offered {
                    return self.error(Reply::new(502, "5.5.1 STARTTLS is not offered here"));
                }
                if self.tls_active {
                    return self.error(Reply::new(503, "5.5.1 TLS is already active"));
                }
                if !arg.is_empty() {
                    return self.error(Reply::new(501, "5.5.4 STARTTLS takes no parameters"));
                }
                if self.phase == Phase::Greeting {
                    return self.error(Reply::new(503, "5.5.1 Send EHLO first"));
                }
                Step::StartTls(Reply::new(220, "2.0.0 Ready to start TLS"))
            }
            "AUTH" => self.auth(arg),
            "MAIL" => {
                match self.phase {
                    Phase::Greeting => {
                        return self.error(Reply::new(503, "5.5.1 Send EHLO first"))
                    }
                    Phase::Mail | Phase::Recipients => {
                        return self.error(Reply::new(503, "5.5.1 A mail is already open; RSET first"))
                    }
                    _ => {}
                }
                // Without AUTH the mail must carry its key (`X-Ferry-Key`), as a mail relayed by
                // the customer's own mail server does; with a certificate configured, that key
                // must not cross the network in the clear either.
                if !self.authenticated && self.tls_offered && !self.tls_active {
                    return self.error(Reply::new(
                        530,
                        "5.7.0 STARTTLS first, then AUTH with your API key as the password",
                    ));
                }
                let Some(rest) = arg
                    .get(..5)
                    .filter(|p| p.eq_ignore_ascii_case("FROM:"))
                    .map(|_| &arg[5..])
                else {
                    return self.error(Reply::new(501, "5.5.4 Syntax: MAIL FROM:<address>"));
                };
                let Some((path, params)) = path_and_params(rest) else {
                    return self.error(Reply::new(501, "5.1.7 Syntax: MAIL FROM:<address>"));
                };
                for param in params.split_whitespace() {
                    let (name, value) = param.split_once('=').unwrap_or((param, ""));
                    match name.to_ascii_uppercase().as_str() {
                        "SIZE" => match value.parse::<usize>() {
                            Ok(size) if size > self.max_message_bytes => {
                                return self.error(Reply::new(
                                    552,
                                    format!(
                                        "5.3.4 The mail is larger than {} bytes",
                                        self.max_message_bytes
                                    ),
                                ))
                            }
                            Ok(_) => {}
                            Err(_) => {
                                return self.error(Reply::new(501, "5.5.4 SIZE takes a number"))
                            }
                        },
                        "BODY" if ["7BIT", "8BITMIME"]
                            .iter()
                            .any(|b| value.eq_ignore_ascii_case(b)) => {}
                        "AUTH" => {}
                        _ => {
                            return self.error(Reply::new(
                                555,
                                format!("5.5.4 Unsupported parameter {name}"),
                            ))
                        }
                    }
                }
                self.reverse_path = path;
                self.recipients.clear();
                self.phase = Phase::Mail;
                Step::Reply(Reply::new(250, "2.1.0 OK"))
            }
            "RCPT" => {
                if !matches!(self.phase, Phase::Mail | Phase::Recipients) {
                    return self.error(Reply::new(503, "5.5.1 Send MAIL FROM first"));
                }
                let Some(rest) = arg
                    .get(..3)
                    .filter(|p| p.eq_ignore_ascii_case("TO:"))
                    .map(|_| &arg[3..])
                else {
                    return self.error(Reply::new(501, "5.5.4 Syntax: RCPT TO:<address>"));
                };
                let Some((path, params)) = path_and_params(rest) else {
                    return self.error(Reply::new(501, "5.1.3 Syntax: RCPT TO:<address>"));
                };
                if !params.is_empty() {
                    return self.error(Reply::new(555, "5.5.4 RCPT takes no parameters here"));
                }
                if self.recipients.len() >= MAX_RECIPIENTS {
                    return Step::Reply(Reply::new(
                        452,
                        format!(
                            "4.5.3 At most {MAX_RECIPIENTS} recipients per mail: send longer lists to bulk@ with one number per line at the top of the body"
                        ),
                    ));
                }
                if let Err(why) = super::mail::recipient_local_part(&path) {
                    return self.error(Reply::new(550, format!("5.1.1 <{path}>: {why}")));
                }
                self.recipients.push(path);
                self.phase = Phase::Recipients;
                Step::Reply(Reply::new(250, "2.1.5 OK"))
            }
            "DATA" => match self.phase {
                Phase::Recipients if arg.is_empty() => Step::ReadData(Reply::new(
                    354,
                    "Send the mail; end it with <CRLF>.<CRLF>",
                )),
                Phase::Recipients => {
                    self.error(Reply::new(501, "5.5.4 DATA takes no parameters"))
                }
                Phase::Mail => self.error(Reply::new(554, "5.5.1 No valid recipients")),
                _ => self.error(Reply::new(503, "5.5.1 Send MAIL FROM and RCPT TO first")),
            },
            "RSET" => {
                self.reset_transaction();
                Step::Reply(Reply::new(250, "2.0.0 OK"))
            }
            "NOOP" => Step::Reply(Reply::new(250, "2.0.0 OK")),
            "VRFY" => Step::Reply(Reply::new(
                252,
                "2.5.0 Cannot VRFY; send the mail and Ferry answers with what it did",
            )),
            "HELP" => Step::Reply(Reply::new(
                214,
                "2.0.0 EHLO, STARTTLS, AUTH, MAIL, RCPT, DATA, RSET, NOOP, QUIT; see Ferry's README, Email API",
            )),
            "QUIT" => Step::Close(Reply::new(221, format!("2.0.0 {} closing", self.hostname))),
            "" => self.error(Reply::new(500, "5.5.2 Empty command")),
            _ => self.error(Reply::new(
                500,
                format!(
                    "5.5.1 Unknown command {}",
                    verb.chars().take(20).collect::<String>()
                ),
            )),
        }
    }

    fn auth(&mut self, arg: &str) -> Step {
        match self.phase {
            Phase::Greeting => return self.error(Reply::new(503, "5.5.1 Send EHLO first")),
            Phase::Mail | Phase::Recipients => {
                return self.error(Reply::new(503, "5.5.1 AUTH is not allowed during a mail"))
            }
            _ => {}
        }
        if self.authenticated {
            return self.error(Reply::new(503, "5.5.1 Already authenticated"));
        }
        if self.tls_offered && !self.tls_active {
            return self.error(Reply::new(
                538,
                "5.7.11 Encryption required: STARTTLS before AUTH",
            ));
        }
        let (mechanism, initial) = match arg.trim().split_once(' ') {
            Some((m, i)) => (m, Some(i.trim())),
            None => (arg.trim(), None),
        };
        match (mechanism.to_ascii_uppercase().as_str(), initial) {
            ("PLAIN", Some(initial)) => self.auth_response(initial, true),
            ("PLAIN", None) => {
                self.phase = Phase::PlainResponse;
                Step::Reply(Reply::new(334, ""))
            }
            ("LOGIN", None) => {
                self.phase = Phase::LoginUser;
                Step::Reply(Reply::new(334, BASE64.encode("Username:")))
            }
            ("LOGIN", Some(user)) => {
                if BASE64.decode(user).is_err() {
                    return self.error(Reply::new(501, "5.5.2 Not base64"));
                }
                self.phase = Phase::LoginPassword;
                Step::Reply(Reply::new(334, BASE64.encode("Password:")))
            }
            ("", _) => self.error(Reply::new(501, "5.5.4 Syntax: AUTH PLAIN or AUTH LOGIN")),
            _ => self.error(Reply::new(
                504,
                "5.5.4 Unrecognized authentication type: use PLAIN or LOGIN",
            )),
        }
    }

    /// The base64 response that carries the key: PLAIN's `authzid\0authcid\0password`, or
    /// LOGIN's password.
    fn auth_response(&mut self, line: &str, plain: bool) -> Step {
        self.phase = Phase::Ready;
        if line == "*" {
            return self.error(Reply::new(501, "5.7.0 Authentication cancelled"));
        }
        let Ok(decoded) = BASE64.decode(line.trim()) else {
            return self.error(Reply::new(501, "5.5.2 Not base64"));
        };
        let secret = if plain {
            let mut fields = decoded.split(|b| *b == 0);
            match (fields.next(), fields.next(), fields.next(), fields.next()) {
                (Some(_), Some(_), Some(password), None) => password.to_vec(),
                _ => {
                    return self.error(Reply::new(
                        501,
                        "5.5.2 AUTH PLAIN takes authzid NUL user NUL password",
                    ))
                }
            }
        } else {
            decoded
        };
        match String::from_utf8(secret) {
            Ok(secret) if !secret.trim().is_empty() => {
                self.phase = Phase::Ready;
                Step::CheckKey(secret.trim().to_string())
            }
            _ => self.error(Reply::new(
                535,
                "5.7.8 Authentication credentials invalid: the password is your API key",
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(step: &Step) -> u16 {
        match step {
            Step::Reply(r) | Step::Close(r) | Step::StartTls(r) | Step::ReadData(r) => r.code,
            Step::CheckKey(_) => 0,
        }
    }

    fn session(tls: bool) -> Session {
        Session::new("ferry.test", tls, 1_000_000)
    }

    fn plain(key: &str) -> String {
        format!("AUTH PLAIN {}", BASE64.encode(format!("\0user\0{key}")))
    }

    /// Greeted and authenticated with key `k`.
    fn ready() -> Session {
        let mut s = session(false);
        assert_eq!(code(&s.command(b"EHLO client.example")), 250);
        assert_eq!(s.command(plain("k").as_bytes()), Step::CheckKey("k".into()));
        assert_eq!(code(&s.authenticated(Ok(()))), 235);
        s
    }

    #[test]
    fn a_whole_mail_in_order() {
        let mut s = ready();
        assert_eq!(
            code(&s.command(b"MAIL FROM:<ops@example.com> SIZE=100")),
            250
        );
        assert_eq!(code(&s.command(b"RCPT TO:<85291234567@sms.example>")), 250);
        assert_eq!(code(&s.command(b"rcpt to:<+85261234567@sms.example>")), 250);
        assert_eq!(code(&s.command(b"DATA")), 354);
        assert_eq!(s.reverse_path, "ops@example.com");
        assert_eq!(s.recipients.len(), 2);
        s.mail_read();
        assert!(s.recipients.is_empty());
        // The next mail on the same connection.
        assert_eq!(code(&s.command(b"MAIL FROM:<>")), 250);
        assert_eq!(code(&s.command(b"QUIT")), 221);
        assert!(matches!(s.command(b"QUIT"), Step::Close(_)));
    }

    #[test]
    fn commands_out_of_order_are_refused_with_503() {
        let mut s = session(false);
        assert_eq!(code(&s.command(b"MAIL FROM:<a@b>")), 503, "before EHLO");
        assert_eq!(code(&s.command(b"AUTH PLAIN")), 503, "AUTH before EHLO");
        assert_eq!(code(&s.command(b"EHLO c")), 250);
        assert_eq!(
            code(&s.command(b"RCPT TO:<85291234567@x>")),
            503,
            "before MAIL"
        );
        assert_eq!(code(&s.command(b"DATA")), 503, "before MAIL");
        // Without AUTH a mail may still come: it must carry its key in X-Ferry-Key.
        assert_eq!(code(&s.command(b"MAIL FROM:<a@b>")), 250, "before AUTH");
        let mut s = ready();
        assert_eq!(code(&s.command(b"MAIL FROM:<a@b>")), 250);
        assert_eq!(code(&s.command(b"DATA")), 554, "no recipients");
        assert_eq!(code(&s.command(b"MAIL FROM:<a@b>")), 503, "nested MAIL");
        assert_eq!(
            code(&s.command(b"AUTH PLAIN abc")),
            503,
            "AUTH inside a mail"
        );
        assert_eq!(code(&s.command(b"RSET")), 250);
        assert_eq!(
            code(&s.command(b"RCPT TO:<85291234567@x>")),
            503,
            "after RSET"
        );
        assert_eq!(
            code(&s.command(b"AUTH PLAIN abc")),
            503,
            "authenticated twice"
        );
    }

    #[test]
    fn bad_syntax_and_unknown_commands() {
        let mut s = ready();
        let cases: [(&[u8], u16); 9] = [
            (b"FROB", 500),
            (b"", 500),
            (b"EHLO", 501),
            (b"MAIL TO:<a@b>", 501),
            (b"MAIL FROM:a@b", 501),
            (b"MAIL FROM:<a@b> SIZE=lots", 501),
            (b"MAIL FROM:<a@b> SIZE=2000000", 552),
            (b"MAIL FROM:<a@b> SMTPUTF8", 555),
            (b"\xff\xfe", 500),
        ];
        for (line, expected) in cases {
            assert_eq!(
                code(&s.command(line)),
                expected,
                "{}",
                String::from_utf8_lossy(line)
            );
        }
        let long = vec![b'N'; MAX_COMMAND_LINE + 1];
        assert_eq!(code(&ready().command(&long)), 500);
    }

    #[test]
    fn recipients_must_be_numbers_and_at_most_a_hundred() {
        let mut s = ready();
        assert_eq!(code(&s.command(b"MAIL FROM:<a@b>")), 250);
        assert_eq!(code(&s.command(b"RCPT TO:<alice@example.com>")), 550);
        assert_eq!(code(&s.command(b"RCPT TO:<bulk@sms.example>")), 250);
        for n in 1..MAX_RECIPIENTS {
            let line = format!("RCPT TO:<8529123{n:04}@x>");
            assert_eq!(code(&s.command(line.as_bytes())), 250);
        }
        assert_eq!(code(&s.command(b"RCPT TO:<85291239999@x>")), 452);
    }

    #[test]
    fn auth_plain_login_and_their_failures() {
        let mut s = session(false);
        s.command(b"EHLO c");
        assert_eq!(code(&s.command(b"AUTH PLAIN")), 334);
        let response = BASE64.encode("\0u\0secret");
        assert_eq!(
            s.command(response.as_bytes()),
            Step::CheckKey("secret".into())
        );
        assert_eq!(code(&s.authenticated(Err("unknown key".into()))), 535);
        assert!(!s.is_authenticated());
        assert_eq!(code(&s.command(b"AUTH LOGIN")), 334);
        assert_eq!(code(&s.command(BASE64.encode("user").as_bytes())), 334);
        assert_eq!(
            s.command(BASE64.encode("key2").as_bytes()),
            Step::CheckKey("key2".into())
        );
        assert_eq!(code(&s.authenticated(Ok(()))), 235);
        let mut s = session(false);
        s.command(b"EHLO c");
        assert_eq!(code(&s.command(b"AUTH CRAM-MD5")), 504);
        assert_eq!(code(&s.command(b"AUTH PLAIN !!!")), 501, "not base64");
        let two_fields = format!("AUTH PLAIN {}", BASE64.encode("u\0p"));
        assert_eq!(code(&s.command(two_fields.as_bytes())), 501);
        assert_eq!(code(&s.command(b"AUTH LOGIN")), 334);
        assert_eq!(code(&s.command(b"*")), 501, "cancelled");
        assert_eq!(code(&s.command(b"NOOP")), 250, "back to commands");
    }

    #[test]
    fn with_a_certificate_auth_waits_for_starttls_and_everything_starts_over() {
        let mut s = session(true);
        assert_eq!(code(&s.command(b"STARTTLS")), 503, "before EHLO");
        match s.command(b"EHLO c") {
            Step::Reply(r) => {
                assert!(r.lines.contains(&"STARTTLS".to_string()));
                assert!(!r.lines.iter().any(|l| l.starts_with("AUTH")));
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(code(&s.command(plain("k").as_bytes())), 538);
        assert_eq!(
            code(&s.command(b"MAIL FROM:<a@b>")),
            530,
            "a key in the mail must not travel in the clear either"
        );
        assert!(matches!(s.command(b"STARTTLS"), Step::StartTls(_)));
        s.tls_started();
        assert_eq!(
            code(&s.command(b"MAIL FROM:<a@b>")),
            503,
            "EHLO again first"
        );
        match s.command(b"EHLO c") {
            Step::Reply(r) => {
                assert!(!r.lines.contains(&"STARTTLS".to_string()));
                assert!(r.lines.contains(&"AUTH PLAIN LOGIN".to_string()));
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(code(&s.command(b"STARTTLS")), 503, "already on");
        assert_eq!(s.command(plain("k").as_bytes()), Step::CheckKey("k".into()));
        let mut plain_only = session(false);
        plain_only.command(b"EHLO c");
        assert_eq!(code(&plain_only.command(b"STARTTLS")), 502);
    }

    #[test]
    fn a_client_that_keeps_failing_is_hung_up_on() {
        let mut s = session(false);
        for _ in 1..MAX_ERRORS {
            assert!(matches!(s.command(b"FROB"), Step::Reply(_)));
        }
        assert!(matches!(s.command(b"FROB"), Step::Close(r) if r.code == 421));
    }

    #[test]
    fn replies_are_multiline_and_never_echo_line_breaks() {
        let r = Reply {
            code: 250,
            lines: vec!["a".into(), "b\r\nX".into()],
        };
        assert_eq!(r.wire(), "250-a\r\n250 bX\r\n");
    }
}
