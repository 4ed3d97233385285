"""Issue 12's slow-client goal on `serve`'s defaults: hundreds of slow and idle connections, a normal call < 2 s.

Conclusions: ``bench/notes/ENGINES.md``, "Slow clients, with `serve`'s defaults".

Run with ``.venv/bin/python -m bench.compare.slow_clients [COUNT] [SECONDS]`` (default 200
of each kind for 20 s): COUNT connections that send a header line every 2 s,
COUNT that sent half a body, COUNT idle connects, while a ``fast`` call is timed
every 0.5 s. Prints each call and the worst; exits 1 if any call failed or took
2 s or more.
"""

from __future__ import annotations

import contextlib
import socket
import sys
import threading
import time

from bench.harness import api, server
from bench.harness.images import photo_png

GOAL_SECONDS = 2.0


def _half_body() -> bytes:
    body = b"x" * 1000
    head = (
        f"POST {api.FAST_PATH} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {server.API_KEY}\r\n"
        f"Content-Type: multipart/form-data; boundary=b\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode()
    return head + body[: len(body) // 2]


def main(count: int, seconds: float) -> int:
    image = photo_png(64)
    with server.running() as mock:
        opened: list[socket.socket] = []
        try:
            for first in (b"GET /_mock/health HTTP/1.1\r\nHost: 127.0.0.1\r\n", _half_body(), b""):
                for _ in range(count):
                    sock = socket.create_connection(("127.0.0.1", mock.port), timeout=5)
                    if first:
                        sock.sendall(first)
                    opened.append(sock)
            stop = time.monotonic() + seconds

            def drip() -> None:
                while time.monotonic() < stop:
                    for sock in opened[:count]:
                        with contextlib.suppress(OSError):
                            sock.sendall(b"X-Slow: 1\r\n")
                    time.sleep(2)

            threading.Thread(target=drip, daemon=True).start()
            worst, failed = 0.0, 0
            while time.monotonic() < stop:
                started = time.monotonic()
                status, _ = api.fast(mock, image, "jpeg")
                took = time.monotonic() - started
                worst = max(worst, took)
                failed += status != 200
                print(f"{status} {took * 1000:.0f} ms", flush=True)
                time.sleep(0.5)
        finally:
            for sock in opened:
                sock.close()
    print(f"{count} slow-header, {count} half-body, {count} idle connections: worst call {worst * 1000:.0f} ms")
    return 0 if failed == 0 and worst < GOAL_SECONDS else 1


if __name__ == "__main__":
    arguments = [float(value) for value in sys.argv[1:3]]
    sys.exit(main(int(arguments[0]) if arguments else 200, arguments[1] if len(arguments) > 1 else 20.0))
