"""A third-party ESME for interop tests: PyPI `smpplib` binding to Ferry's SMSC simulator.

Binds as a transceiver, submits a few messages (GSM-7, UCS-2 and one concatenated long
message, all with delivery receipts requested), waits for one receipt per part, unbinds, and
prints a JSON summary on stdout for the Rust test to check.

Usage: python smpplib-esme.py HOST PORT SYSTEM_ID PASSWORD
"""
import json
import sys

import smpplib.client
import smpplib.consts
import smpplib.gsm

host, port, system_id, password = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
texts = ["Hello from smpplib", "你好，smpplib", "Long " + "x" * 300]

client = smpplib.client.Client(host, port, allow_unknown_opt_params=True, timeout=10)
accepted, receipts = [], []
client.set_message_sent_handler(lambda pdu: accepted.append(pdu.message_id.decode()))


def on_deliver(pdu):
    receipts.append(pdu.short_message.decode("latin-1"))


client.set_message_received_handler(on_deliver)
client.connect()
client.bind_transceiver(system_id=system_id, password=password)

parts_sent = 0
for i, text in enumerate(texts):
    parts, coding, esm_class = smpplib.gsm.make_parts(text)
    for part in parts:
        client.send_message(
            source_addr_ton=smpplib.consts.SMPP_TON_ALNUM,
            source_addr_npi=smpplib.consts.SMPP_NPI_UNK,
            source_addr="PYTEST",
            dest_addr_ton=smpplib.consts.SMPP_TON_INTL,
            dest_addr_npi=smpplib.consts.SMPP_NPI_ISDN,
            destination_addr="8529000%04d" % i,
            short_message=part,
            data_coding=coding,
            esm_class=esm_class,
            registered_delivery=True,
        )
        parts_sent += 1

while len(accepted) < parts_sent or len(receipts) < parts_sent:
    client.read_once()

client.unbind()
client.disconnect()
print(json.dumps({"parts": parts_sent, "accepted": accepted, "receipts": receipts}))
