"""A customer's SOAP client, built by zeep (PyPI) from Ferry's WSDL alone.

    python zeep_client.py BASE_URL API_KEY

Sends a 1,000-number batch, reads every message's status page by page, one message, and the
balance; checks that faults carry Ferry's error in their detail; and validates every envelope
it sent and received against the XSD in the WSDL's <types> with xmlschema (PyPI), a validator
we did not write. Prints one JSON line with what it saw; exits non-zero on any failure.
"""

import json
import sys

import xmlschema
import zeep
from lxml import etree
from zeep.exceptions import Fault
from zeep.plugins import HistoryPlugin

SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
WSDL_NS = "http://schemas.xmlsoap.org/wsdl/"
XS_NS = "http://www.w3.org/2001/XMLSchema"
FERRY_NS = "urn:ferry:sms:soap:v1"


def fail(message):
    print(f"FAIL: {message}", file=sys.stderr)
    sys.exit(1)


def schema_from_wsdl(wsdl_bytes):
    """The XSD embedded in the WSDL, as a standalone schema."""
    wsdl = etree.fromstring(wsdl_bytes)
    schemas = wsdl.findall(f"{{{WSDL_NS}}}types/{{{XS_NS}}}schema")
    if len(schemas) != 1:
        fail(f"expected one xs:schema in the WSDL, found {len(schemas)}")
    return xmlschema.XMLSchema(etree.tostring(schemas[0]).decode())


def validate_body(schema, envelope, what):
    """The one element in the envelope's Body must be valid against the schema."""
    body = envelope.find(f"{{{SOAP_ENV}}}Body")
    if body is None or len(body) != 1:
        fail(f"{what}: not one element in the SOAP Body")
    element = body[0]
    fault = element.tag == f"{{{SOAP_ENV}}}Fault"
    if fault:
        detail = element.find("detail")
        if detail is None or len(detail) != 1:
            fail(f"{what}: a fault without Ferry's error in its detail")
        element = detail[0]
    errors = list(schema.iter_errors(etree.tostring(element).decode()))
    if errors:
        fail(f"{what}: {etree.tostring(element)[:400]!r} breaks the schema: {errors[0]}")
    return fault


def main():
    base, key = sys.argv[1], sys.argv[2]
    history = HistoryPlugin(maxlen=1000)
    transport = zeep.Transport(timeout=120, operation_timeout=300)
    client = zeep.Client(f"{base}/soap?wsdl", plugins=[history], transport=transport)
    wsdl_bytes = transport.session.get(f"{base}/soap?wsdl").content
    schema = schema_from_wsdl(wsdl_bytes)
    checked = {"requests": 0, "responses": 0, "faults": 0}

    def check_last(what):
        validate_body(schema, history.last_sent["envelope"], f"{what} (request)")
        checked["requests"] += 1
        if validate_body(schema, history.last_received["envelope"], f"{what} (response)"):
            checked["faults"] += 1
        else:
            checked["responses"] += 1

    service = client.service
    numbers = [f"+852 9123 {n:04d}" for n in range(1000)]
    sent = service.SendBatch(
        apiKey=key,
        to=numbers,
        text="Your parcel is ready for collection.",
        route="HK_ECONOMIC",
        purpose="NOTIFICATION",
        filterDnc=False,
    )
    check_last("SendBatch")
    if sent.recipients != 1000 or sent.rejectedTotal != 0:
        fail(f"SendBatch counted {sent.recipients} recipients, {sent.rejectedTotal} rejected")
    batch_id = sent.batchId

    statuses = {}
    seen = []
    page, pages = 1, 1
    while page <= pages:
        batch = service.GetBatchStatus(apiKey=key, batchId=batch_id, page=page)
        check_last(f"GetBatchStatus page {page}")
        pages = batch.pages
        for m in batch.message:
            seen.append((m.id, m.to))
            statuses[m.status] = statuses.get(m.status, 0) + 1
        page += 1
    if len(seen) != 1000 or len({m for m, _ in seen}) != 1000:
        fail(f"read {len(seen)} messages ({len({m for m, _ in seen})} distinct) of 1000")
    if [to for _, to in seen] != [f"8529123{n:04d}" for n in range(1000)]:
        fail("the messages are not the numbers sent, in their order")
    total = sum(c["count"] for c in batch["count"])
    if total != 1000:
        fail(f"the batch's counts add up to {total}, not 1000")

    one = service.GetMessageStatus(apiKey=key, messageId=seen[0][0])
    check_last("GetMessageStatus")
    if one.batchId != batch_id or one.to != "85291230000":
        fail(f"GetMessageStatus answered {one}")

    balance = service.GetBalance(apiKey=key)
    check_last("GetBalance")
    if balance.availableMinor != balance.balanceMinor - balance.heldMinor:
        fail(f"balance does not add up: {balance}")

    # A refused request: a fault whose detail is Ferry's error, naming the field.
    try:
        service.SendBatch(apiKey=key, to=["91234567"], text="", route="HK_ECONOMIC")
        fail("an empty text was accepted")
    except Fault as fault:
        check_last("SendBatch with an empty text")
        code = fault.detail.find(f".//{{{FERRY_NS}}}code").text
        field = fault.detail.find(f".//{{{FERRY_NS}}}field").text
        if code != "invalid_request" or field != "text":
            fail(f"empty text: fault code {code}, field {field}: {fault.message}")
    try:
        service.GetBalance(apiKey="not-a-key")
        fail("a wrong key was accepted")
    except Fault as fault:
        check_last("GetBalance with a wrong key")
        code = fault.detail.find(f".//{{{FERRY_NS}}}code").text
        if code != "invalid_api_key":
            fail(f"wrong key: fault code {code}: {fault.message}")

    print(
        json.dumps(
            {
                "batch_id": batch_id,
                "messages": len(seen),
                "pages": pages,
                "statuses": statuses,
                "cost_minor": sent.totalCostMinor,
                "balance_minor": balance.balanceMinor,
                "validated": checked,
            }
        )
    )


if __name__ == "__main__":
    main()
