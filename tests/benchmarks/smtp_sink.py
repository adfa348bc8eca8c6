"""An SMTP server that accepts and counts, in a process of its own (so that its work does not
compete with the sender for one interpreter lock). Used by ``bench_outbox``.

Prints ``ready <port>`` once listening; then answers lines on stdin: ``count`` prints how many
messages it accepted and how many of them had a line not ending in CRLF; ``quit`` stops.
"""

from __future__ import annotations

import socket
import sys
from typing import Any

from aiosmtpd.controller import Controller


class Counter:
    """Accepts every message; counts them, and the ones with bare line endings."""

    def __init__(self) -> None:
        self.accepted = 0
        self.malformed = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        raw: bytes = envelope.original_content
        self.accepted += 1
        if b"\n" in raw.replace(b"\r\n", b""):
            self.malformed += 1
        return "250 OK"


def main() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    counter = Counter()
    controller = Controller(counter, hostname="127.0.0.1", port=port)
    controller.start()
    print(f"ready {port}", flush=True)
    for line in sys.stdin:
        command = line.strip()
        if command == "count":
            print(f"{counter.accepted} {counter.malformed}", flush=True)
        elif command == "quit":
            break
    controller.stop()


if __name__ == "__main__":
    main()
