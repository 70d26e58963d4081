"""A customer's system sending mails to Ferry's email API with Python's own smtplib.

    python3 smtplib_client.py HOST PORT API_KEY [CA_FILE]

With CA_FILE the connection is upgraded with STARTTLS (verifying Ferry's certificate against
it) before AUTH. A second connection sends without AUTH, as a customer's own mail server
relaying a mail would, with the key in an X-Ferry-Key header (right, wrong and missing). Prints one JSON object with each mail's SMTP answer; exits non-zero when a
step does not go as a customer would expect.
"""

import json
import smtplib
import ssl
import sys
from email.message import EmailMessage


def fail(message):
    print(f"FAIL: {message}", file=sys.stderr)
    sys.exit(1)


def connect(host, port, key, ca_file, login=True):
    smtp = smtplib.SMTP(host, int(port), timeout=60)
    smtp.ehlo("customer.example")
    if ca_file:
        if not smtp.has_extn("starttls"):
            fail("STARTTLS is not offered although a certificate is configured")
        if smtp.has_extn("auth"):
            fail("AUTH is offered before TLS")
        context = ssl.create_default_context(cafile=ca_file)
        context.check_hostname = False
        smtp.starttls(context=context)
        smtp.ehlo("customer.example")
    if login:
        smtp.login("anyone", key)
    return smtp


def mail(subject, body, message_id=None, html=False, key=None):
    m = EmailMessage()
    if key:
        m["X-Ferry-Key"] = key
    m["From"] = "ops@customer.example"
    m["To"] = "sms@ferry.example"
    m["Subject"] = subject
    if message_id:
        m["Message-ID"] = message_id
    if html:
        m.set_content(body, subtype="html")
    else:
        m.set_content(body)
    return m.as_bytes()


def send(smtp, recipients, data):
    """MAIL, RCPT and DATA one by one, to read DATA's answer (sendmail() drops it)."""
    code, _ = smtp.mail("ops@customer.example")
    if code != 250:
        fail(f"MAIL answered {code}")
    for r in recipients:
        code, text = smtp.rcpt(r)
        if code != 250:
            return code, text.decode()
    code, text = smtp.data(data)
    return code, text.decode()


def main():
    host, port, key = sys.argv[1], sys.argv[2], sys.argv[3]
    ca_file = sys.argv[4] if len(sys.argv) > 4 else None
    seen = {}

    smtp = connect(host, port, key, ca_file)
    first = mail("", "Your parcel is ready for collection.", "<parcel-4711@customer.example>")
    seen["first"] = send(smtp, ["85291234567@ferry.example", "+852-6123-4567@ferry.example"], first)
    seen["again"] = send(smtp, ["85291234567@ferry.example", "+852-6123-4567@ferry.example"], first)
    numbers = "\n".join(f"+852 9123 {n:04d}" for n in range(1000))
    seen["bulk"] = send(
        smtp,
        ["bulk@ferry.example"],
        mail("", f"{numbers}\n\nOffice closed on Monday.\n\n-- \nACME Ltd", "<bulk-1@customer.example>"),
    )
    seen["html"] = send(
        smtp,
        ["85291234567@ferry.example"],
        mail("", "<p>Your <b>code</b> is 123456</p>", "<html-1@customer.example>", html=True),
    )
    seen["unknown_sender_id"] = send(
        smtp,
        ["85291234567@ferry.example"],
        mail("NOSUCHID", "Hello", "<sender-1@customer.example>"),
    )
    seen["too_long"] = send(
        smtp,
        ["85291234567@ferry.example"],
        mail("", "x" * 5000, "<long-1@customer.example>"),
    )
    code, text = smtp.rcpt("alice@ferry.example") if smtp.mail("a@b.example")[0] == 250 else (0, b"")
    seen["not_a_number"] = (code, text.decode())
    smtp.rset()
    smtp.quit()

    try:
        connect(host, port, "ferry_not-a-key", ca_file)
        fail("a wrong key was accepted")
    except smtplib.SMTPAuthenticationError as e:
        seen["wrong_key"] = (e.smtp_code, e.smtp_error.decode())

    relayed = connect(host, port, key, ca_file, login=False)
    to = ["85291234567@ferry.example"]
    seen["key_in_header"] = send(relayed, to, mail("", "Relayed", "<relay-1@customer.example>", key=key))
    seen["wrong_key_in_header"] = send(
        relayed, to, mail("", "Relayed", "<relay-2@customer.example>", key="ferry_not-a-key")
    )
    seen["no_key"] = send(relayed, to, mail("", "Relayed", "<relay-3@customer.example>"))
    relayed.quit()

    print(json.dumps(seen))


if __name__ == "__main__":
    main()
