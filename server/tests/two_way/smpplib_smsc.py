"""A tiny SMSC for the two-way SMS tests: SMPP 3.4 PDUs encoded and decoded by PyPI `smpplib`
(a client library we did not write; the server side around it, the socket, binds and replies,
is this file's). Ferry's SMPP client binds to 127.0.0.1:PORT; after each bind the script sends
it the mobile-originated deliver_sm listed in SCRIPT_JSON and prints what Ferry answered.
Serves one connection at a time, again and again, until stdin closes.

    python smpplib_smsc.py PORT SCRIPT_JSON

PORT 0 picks a free port. Prints {"listening": PORT} once listening, then one line
{"resp": INDEX, "status": COMMAND_STATUS} per deliver_sm_resp, INDEX being the message's place
in SCRIPT_JSON. SCRIPT_JSON is a list of {"source_addr", "destination_addr", "data_coding",
"short_message_hex" (raw short_message, any UDH included), "esm_class", "sar": null or
{"ref", "total", "seq"} (sent as the sar_* TLVs), "lose_first_resp": true to act as if the
first answer to it never arrived}. A message answered with status 0 is done; one answered
otherwise, or not at all (or whose first answer is "lost"), is sent again after the next bind.
"""

import itertools
import json
import os
import select
import socket
import struct
import sys

from smpplib import consts
from smpplib.client import SimpleSequenceGenerator
from smpplib.smpp import make_pdu, parse_pdu

SYSTEM_ID = "smpplib-smsc"
SEQUENCE = SimpleSequenceGenerator()  # numbers our own requests (deliver_sm)
MESSAGE_IDS = itertools.count(1)  # submit_sm_resp message_id, across connections
LOST = set()  # indexes whose first deliver_sm_resp was treated as lost


def emit(obj):
    print(json.dumps(obj), flush=True)


def recv_exact(conn, size):
    data = b""
    while len(data) < size:
        chunk = conn.recv(size - len(data))
        if not chunk:
            raise ConnectionError("ESME closed the connection")
        data += chunk
    return data


def read_raw_pdu(conn):
    """One whole PDU: the 4-byte command_length first, then the rest."""
    head = recv_exact(conn, 4)
    (length,) = struct.unpack(">L", head)
    if length < 16:
        raise ConnectionError("bad command_length %d" % length)
    return head + recv_exact(conn, length - 4)


def reply(conn, sequence, command, **fields):
    resp = make_pdu(command, client=SEQUENCE, **fields)
    resp.sequence = sequence  # a response carries its request's sequence number
    conn.sendall(resp.generate())


def deliver_sm(message):
    dest = message["destination_addr"]
    dest_ton_npi = 1 if len(dest) >= 8 else 0  # short codes go out as unknown/unknown
    sar = message.get("sar") or {}
    return make_pdu(
        "deliver_sm",
        client=SEQUENCE,
        source_addr_ton=1,
        source_addr_npi=1,
        source_addr=message["source_addr"],
        dest_addr_ton=dest_ton_npi,
        dest_addr_npi=dest_ton_npi,
        destination_addr=dest,
        esm_class=message.get("esm_class", 0),
        data_coding=message.get("data_coding", 0),
        short_message=bytes.fromhex(message["short_message_hex"]),
        sar_msg_ref_num=sar.get("ref"),
        sar_total_segments=sar.get("total"),
        sar_segment_seqnum=sar.get("seq"),
    )


def stdin_closed():
    return not os.read(sys.stdin.fileno(), 4096)


def serve(conn, script, done):
    """Serve one connection; return False once stdin has closed."""
    in_flight = {}  # deliver_sm sequence number -> index in script
    while True:
        readable, _, _ = select.select([conn, sys.stdin], [], [])
        if sys.stdin in readable and stdin_closed():
            return False
        if conn not in readable:
            continue
        raw = read_raw_pdu(conn)
        code, sequence = struct.unpack(">L", raw[4:8])[0], struct.unpack(">L", raw[12:16])[0]
        try:
            pdu = parse_pdu(raw, client=SEQUENCE, allow_unknown_opt_params=True)
        except Exception:  # unknown command id or a body smpplib cannot read
            if not code & 0x80000000:
                reply(conn, sequence, "generic_nack", status=consts.SMPP_ESME_RINVCMDID)
            continue
        command = pdu.command
        if command in ("bind_transceiver", "bind_receiver", "bind_transmitter"):
            reply(conn, sequence, command + "_resp", system_id=SYSTEM_ID)
            if command == "bind_transmitter":
                continue  # a transmitter does not take deliver_sm
            for index, message in enumerate(script):
                if index not in done and index not in in_flight.values():
                    pdu_out = deliver_sm(message)
                    in_flight[pdu_out.sequence] = index
                    conn.sendall(pdu_out.generate())
        elif command == "deliver_sm_resp":
            index = in_flight.pop(sequence, None)
            if index is not None:
                lost = script[index].get("lose_first_resp") and index not in LOST
                emit({"resp": index, "status": pdu.status, "lost": bool(lost)})
                if lost:
                    LOST.add(index)
                elif pdu.status == consts.SMPP_ESME_ROK:
                    done.add(index)
        elif command == "enquire_link":
            reply(conn, sequence, "enquire_link_resp")
        elif command == "submit_sm":
            reply(conn, sequence, "submit_sm_resp", message_id=str(next(MESSAGE_IDS)))
        elif command == "unbind":
            reply(conn, sequence, "unbind_resp")
            return True
        elif pdu.is_request():
            reply(conn, sequence, "generic_nack", status=consts.SMPP_ESME_RINVCMDID)


def main():
    port, script_path = int(sys.argv[1]), sys.argv[2]
    with open(script_path) as f:
        script = json.load(f)
    done = set()  # indexes acknowledged with status 0, never sent again
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", port))
    listener.listen(1)
    emit({"listening": listener.getsockname()[1]})
    while True:
        readable, _, _ = select.select([listener, sys.stdin], [], [])
        if sys.stdin in readable and stdin_closed():
            return
        if listener not in readable:
            continue
        conn, _ = listener.accept()
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            if not serve(conn, script, done):
                return
        except OSError:  # dropped connection (ConnectionError included): accept the next one
            pass
        finally:
            conn.close()


if __name__ == "__main__":
    main()
