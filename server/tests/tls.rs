//! HTTPS (issue 17): a real `ferry serve` with `[tls]` set speaks only TLS on its port (a
//! rustls client trusting the self-signed certificate gets through; plain HTTP does not),
//! marks cookies `Secure`, sends HSTS, redirects its plain-HTTP listener to HTTPS, gives each
//! page a fresh script nonce in its Content-Security-Policy, and offers STARTTLS on the email
//! API with the same certificate.

mod common;

use common::process::{serve, test_dir, write_config, KillOnDrop};
use engine::db::testing::sqlite;
use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

/// The nonce a Content-Security-Policy allows scripts by.
fn policy_nonce(policy: &str) -> String {
    let start = policy.find("'nonce-").expect("a nonce in the policy") + "'nonce-".len();
    let rest = &policy[start..];
    rest[..rest.find('\'').expect("closing quote")].to_string()
}

/// The email API's greeting and its EHLO answer, read over a plain socket.
fn ehlo(addr: SocketAddr) -> String {
    let stream = TcpStream::connect(addr).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    let mut writer = stream.try_clone().expect("clone");
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    reader.read_line(&mut line).expect("greeting");
    writer.write_all(b"EHLO tests.example\r\n").expect("ehlo");
    let mut answer = String::new();
    loop {
        line.clear();
        reader.read_line(&mut line).expect("ehlo answer");
        answer.push_str(&line);
        if line.len() < 4 || line.as_bytes()[3] == b' ' {
            return answer;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_a_certificate_ferry_serves_only_https_and_says_so() {
    let dir = test_dir("ferry-tls");
    let cert = rcgen::generate_simple_self_signed(vec!["localhost".into()]).expect("certificate");
    let (cert_path, key_path) = (dir.join("cert.pem"), dir.join("key.pem"));
    std::fs::write(&cert_path, cert.cert.pem()).expect("cert");
    std::fs::write(&key_path, cert.key_pair.serialize_pem()).expect("key");
    let t = sqlite().await;
    let plain_port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let config = write_config(
        &dir,
        &t.url,
        &format!(
            "[tls]\ncert = \"{}\"\nkey = \"{}\"\nredirect_listen = \"127.0.0.1:{plain_port}\"\n\
             hsts_max_age_s = 600\n\
             [smtp]\nlisten = \"127.0.0.1:0\"\n",
            cert_path.display(),
            key_path.display(),
        ),
    );
    let (child, addr, smtp) = serve(&config);
    let _child = KillOnDrop(child);

    let root = reqwest::Certificate::from_pem(cert.cert.pem().as_bytes()).expect("root");
    let client = reqwest::Client::builder()
        .add_root_certificate(root)
        .resolve("localhost", addr)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let base = format!("https://localhost:{}", addr.port());

    // HTTPS works and tells the browser to keep using it.
    let health = client
        .get(format!("{base}/healthz"))
        .send()
        .await
        .expect("https");
    assert_eq!(health.status(), 200);
    assert_eq!(health.headers()["strict-transport-security"], "max-age=600");
    assert_eq!(
        health.headers()["content-security-policy"],
        "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
    );

    // Each page carries a fresh nonce, on its policy and on its scripts, and no other way to
    // run inline script.
    let mut nonces = Vec::new();
    for _ in 0..2 {
        let page = client
            .get(format!("{base}/login"))
            .send()
            .await
            .expect("page");
        assert_eq!(page.status(), 200);
        let policy = page.headers()["content-security-policy"]
            .to_str()
            .expect("ascii")
            .to_string();
        assert!(!policy.contains("unsafe-inline"), "{policy}");
        assert!(policy.contains("frame-ancestors 'none'"), "{policy}");
        let nonce = policy_nonce(&policy);
        let body = page.text().await.expect("body");
        assert!(
            body.contains(&format!("<script type=\"module\" nonce=\"{nonce}\"")),
            "the hydration script carries the policy's nonce"
        );
        nonces.push(nonce);
    }
    assert_ne!(nonces[0], nonces[1], "a nonce is never reused");

    // Signing up over HTTPS gives a Secure session cookie without `secure_cookies` being set.
    let signup = client
        .post(format!("{base}/api/signup"))
        .form(&[
            ("login_name", "tlscustomer"),
            ("password", "a long enough password"),
            ("password_confirmation", "a long enough password"),
            ("company_name", "Acme Ltd"),
            ("contact_email", "ops@acme.example"),
            ("mobile", "+852 9123 4567"),
        ])
        .send()
        .await
        .expect("signup");
    let cookie = signup
        .headers()
        .get("set-cookie")
        .expect("a session cookie")
        .to_str()
        .expect("ascii")
        .to_string();
    assert!(cookie.contains("; Secure"), "{cookie}");

    // Plain HTTP on the HTTPS port gets no page.
    let plain = reqwest::Client::new()
        .get(format!("http://{addr}/healthz"))
        .timeout(Duration::from_secs(15))
        .send()
        .await;
    assert!(plain.is_err(), "plain HTTP on the TLS port: {plain:?}");

    // The plain listener redirects, keeping path, query and method.
    let redirect = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
        .post(format!(
            "http://localhost:{plain_port}/results?status=DELIVERED"
        ))
        .send()
        .await
        .expect("redirect");
    assert_eq!(redirect.status(), 308);
    assert_eq!(
        redirect.headers()["location"],
        format!("https://localhost:{}/results?status=DELIVERED", addr.port()).as_str()
    );

    // The email API offers STARTTLS with the portal's certificate.
    let smtp = smtp.expect("the email API is listening");
    let answer = tokio::task::spawn_blocking(move || ehlo(smtp))
        .await
        .expect("ehlo");
    assert!(answer.contains("STARTTLS"), "{answer}");

    let _ = std::fs::remove_dir_all(&dir);
}
