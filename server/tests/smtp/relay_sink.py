"""A mail relay for the email API's tests: aiosmtpd (PyPI), a server we did not write, taking
every mail on 127.0.0.1:PORT and printing it as one JSON line. Runs until stdin closes.

    python relay_sink.py PORT
"""

import json
import sys

from aiosmtpd.controller import Controller


class Sink:
    async def handle_DATA(self, server, session, envelope):
        print(
            json.dumps(
                {
                    "from": envelope.mail_from,
                    "to": envelope.rcpt_tos,
                    "content": envelope.content.decode("utf-8", "replace"),
                }
            ),
            flush=True,
        )
        return "250 2.0.0 OK"


def main():
    port = int(sys.argv[1])
    controller = Controller(Sink(), hostname="127.0.0.1", port=port)
    controller.start()
    print(json.dumps({"listening": port}), flush=True)
    try:
        sys.stdin.read()
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
