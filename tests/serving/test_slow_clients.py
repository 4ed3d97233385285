"""Slow, idle and malformed clients against `stability-mock serve` with its defaults (1 worker, 4 threads).

Each test opens a bounded number of loopback sockets; the bounds asserted are
generous (behaviour, not speed): a normal call must not wait for the slow ones.
"""

from __future__ import annotations

import contextlib
import json
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests

from bench.harness.server import running_server
from tests.conftest import FIXTURES

pytestmark = pytest.mark.slow

AUTH = {"Authorization": "Bearer sk-slow"}
#: Per kind of slow client; 3 kinds x 16 is 12 times the 4 threads that used to be enough to stop the server.
SLOW_CLIENTS = 16


def _address(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    return str(parts.hostname), int(parts.port or 80)


@contextlib.contextmanager
def _sockets(url: str, count: int, first_bytes: bytes) -> Iterator[list[socket.socket]]:
    opened: list[socket.socket] = []
    try:
        for _ in range(count):
            sock = socket.create_connection(_address(url), timeout=5)
            if first_bytes:
                sock.sendall(first_bytes)
            opened.append(sock)
        yield opened
    finally:
        for sock in opened:
            sock.close()


def _half_body() -> bytes:
    body = b"x" * 1000
    head = (
        "POST /v2beta/stable-image/upscale/fast HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer sk-slow\r\n"
        f"Content-Type: multipart/form-data; boundary=b\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode()
    return head + body[: len(body) // 2]


def _timed_fast(url: str) -> tuple[int, float]:
    started = time.monotonic()
    with (FIXTURES / "sample.png").open("rb") as image:
        response = requests.post(
            f"{url}/v2beta/stable-image/upscale/fast",
            files={"image": ("sample.png", image, "image/png")},
            headers=AUTH,
            timeout=30,
        )
    return response.status_code, time.monotonic() - started


def _read_answer(sock: socket.socket, seconds: float) -> bytes:
    """Everything the server sends until it closes the connection (or ``seconds`` pass)."""
    sock.settimeout(seconds)
    received = b""
    with contextlib.suppress(TimeoutError, ConnectionResetError):
        while chunk := sock.recv(65536):
            received += chunk
    return received


def _status_and_json(answer: bytes) -> tuple[int, dict[str, object]]:
    head, _, body = answer.partition(b"\r\n\r\n")
    assert b"content-type: application/json" in head.lower(), answer[:300]
    return int(head.split(b" ", 2)[1]), json.loads(body)


def test_slow_and_idle_connections_do_not_hold_up_a_normal_call(tmp_path: Path) -> None:
    with running_server("--data-dir", str(tmp_path), log=tmp_path / "s.log") as url:
        assert _timed_fast(url)[0] == 200
        with (
            _sockets(url, SLOW_CLIENTS, b"GET /_mock/health HTTP/1.1\r\nHost: 127.0.0.1\r\n"),
            _sockets(url, SLOW_CLIENTS, _half_body()),
            _sockets(url, SLOW_CLIENTS, b""),
        ):
            time.sleep(0.5)
            for _ in range(3):
                status, seconds = _timed_fast(url)
                assert status == 200
                assert seconds < 2.0
            health = requests.get(f"{url}/_mock/health", timeout=5)
            assert health.status_code == 200


def test_a_request_not_sent_in_time_is_answered_408_in_the_api_shape(tmp_path: Path) -> None:
    with running_server("--data-dir", str(tmp_path), "--read-timeout", "1", log=tmp_path / "t.log") as url:
        with (
            _sockets(url, 1, b"GET /_mock/health HTTP/1.1\r\nHost: 127.0.0.1\r\n") as (head,),
            _sockets(url, 1, _half_body()) as (body,),
            _sockets(url, 1, b"") as (idle,),
        ):
            started = time.monotonic()
            for sock in (head, body):
                status, error = _status_and_json(_read_answer(sock, 10))
                assert status == 408
                assert error["name"] == "request_timeout"
                assert error["errors"] == ["request: not complete within 1 s"]
            assert _read_answer(idle, 10) == b""
            assert time.monotonic() - started < 8
        assert _timed_fast(url)[0] == 200


def test_a_head_too_large_for_the_loop_that_stalls_is_answered_408_too(tmp_path: Path) -> None:
    # Nine 8,000-byte headers: over the 64 KiB the loop holds, within gunicorn's limits; then silence.
    head = b"GET /_mock/health HTTP/1.1\r\nHost: 127.0.0.1\r\n" + b"".join(
        b"X-Pad-%d: %s\r\n" % (number, b"a" * 8000) for number in range(9)
    )
    log = tmp_path / "h.log"
    with running_server("--data-dir", str(tmp_path), "--read-timeout", "1", log=log) as url:
        with _sockets(url, 1, head) as (sock,):
            status, error = _status_and_json(_read_answer(sock, 10))
        assert (status, error["name"]) == (408, "request_timeout")
        assert _timed_fast(url)[0] == 200
    assert "Traceback" not in log.read_text()


def test_a_whole_request_sent_in_pieces_is_answered(tmp_path: Path) -> None:
    with running_server("--data-dir", str(tmp_path), log=tmp_path / "p.log") as url:
        request = b"GET /_mock/health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
        with _sockets(url, 1, b"") as (sock,):
            for index in range(0, len(request), 7):
                sock.sendall(request[index : index + 7])
                time.sleep(0.01)
            assert _read_answer(sock, 10).startswith(b"HTTP/1.1 200")
        # Expect: 100-continue is answered by the server before the body comes.
        with _sockets(url, 1, b"") as (sock,):
            body = b'{"latency_ms": 0}'
            sock.sendall(
                b"PATCH /_mock/settings HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                b"Expect: 100-continue\r\nConnection: close\r\nContent-Length: %d\r\n\r\n" % len(body)
            )
            sock.settimeout(5)
            assert sock.recv(100) == b"HTTP/1.1 100 Continue\r\n\r\n"
            sock.sendall(body)
            answer = _read_answer(sock, 10)
            assert answer.startswith(b"HTTP/1.1 200"), answer[:200]
            assert b"100 Continue" not in answer


def test_chunked_bodies_of_tiny_chunks_do_not_hold_the_threads(tmp_path: Path) -> None:
    """Bodies the loop read whole reach gunicorn's chunked parser a socket read at a time, not all at once.

    All at once, its copying per chunk was quadratic: one 600 KB body of 3-byte
    chunks held a core for 13 s (``make fuzz`` found it), and these four, each
    3 MB, would hold the worker's threads for many minutes.
    """
    framed = b"".join(b"3;name=value\r\nabc\r\n" for _ in range(110_000)) + b"0\r\n\r\n"
    request = (
        b"POST /v2beta/stable-image/upscale/conservative HTTP/1.1\r\n"
        b"Host: 127.0.0.1\r\nAuthorization: Bearer sk-slow\r\n"
        b"Content-Type: multipart/form-data; boundary=b\r\nTransfer-Encoding: chunked\r\n\r\n" + framed
    )
    with running_server("--data-dir", str(tmp_path), log=tmp_path / "c.log") as url, _sockets(url, 4, b"") as socks:
        for sock in socks:
            sock.sendall(request)
            sock.shutdown(socket.SHUT_WR)
        for sock in socks:
            status, error = _status_and_json(_read_answer(sock, 60))
            assert (status, error["name"]) == (400, "bad_request")
        assert _timed_fast(url)[0] == 200


@pytest.mark.parametrize(
    ("request_bytes", "status", "name"),
    [
        (b"G\x00T / HTTP/1.1\r\nHost: x\r\n\r\n", 400, "bad_request"),
        (b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414, "uri_too_long"),
        (b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 9000 + b"\r\n\r\n", 431, "request_header_fields_too_large"),
        (b"GET / HTTP/1.1\r\nHost: x\r\n" + b"X-A: b\r\n" * 200 + b"\r\n", 431, "request_header_fields_too_large"),
        (b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: foo\r\n\r\n", 400, "bad_request"),
        (b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n", 400, "bad_request"),
    ],
    ids=["bad-request-line", "long-uri", "large-header", "many-headers", "unknown-coding", "negative-length"],
)
def test_the_servers_own_refusals_are_in_the_api_shape(
    tmp_path: Path, request_bytes: bytes, status: int, name: str
) -> None:
    with running_server("--data-dir", str(tmp_path), log=tmp_path / "e.log") as url:
        with _sockets(url, 1, request_bytes) as (sock,):
            answer_status, error = _status_and_json(_read_answer(sock, 10))
        assert (answer_status, error["name"]) == (status, name)
        assert set(error) == {"id", "name", "message", "errors"}
        assert len(str(error["id"])) == 32


def test_slow_clients_over_tls_do_not_hold_up_a_normal_call(tmp_path: Path) -> None:
    import ssl

    from mockserver.interception.ca import LocalCA

    data_dir = tmp_path / "data"
    ca = LocalCA(data_dir).ensure()
    context = ssl.create_default_context(cafile=str(ca))
    with running_server("--tls", "--data-dir", str(data_dir), log=tmp_path / "tls.log", tls_ca=ca) as url:
        address = _address(url)
        tls_half_heads: list[ssl.SSLSocket] = []
        try:
            for _ in range(SLOW_CLIENTS):
                sock = context.wrap_socket(socket.create_connection(address, timeout=5), server_hostname="127.0.0.1")
                sock.sendall(b"GET /_mock/health HTTP/1.1\r\nHost: 127.0.0.1\r\n")
                tls_half_heads.append(sock)
            # Idle TCP connects (no handshake) and a handshake cut short (a few bytes of a ClientHello).
            with _sockets(url, SLOW_CLIENTS, b""), _sockets(url, SLOW_CLIENTS, b"\x16\x03\x01\x02\x00\x01"):
                time.sleep(0.5)
                started = time.monotonic()
                response = requests.get(f"{url}/_mock/health", timeout=10, verify=str(ca))
                assert response.status_code == 200
                assert time.monotonic() - started < 2.0
        finally:
            for sock in tls_half_heads:
                sock.close()


def test_sigterm_stops_the_server_promptly_with_idle_connections_open(tmp_path: Path) -> None:
    import os
    import signal

    from bench.harness.server import running

    with running("--data-dir", str(tmp_path), log=tmp_path / "stop.log", seconds=30) as server:
        url, process = server.url, server.process
        with _sockets(url, SLOW_CLIENTS, b""), requests.Session() as kept_alive:
            assert kept_alive.get(f"{url}/_mock/health", timeout=5).status_code == 200
            time.sleep(0.2)
            started = time.monotonic()
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=15)
            assert time.monotonic() - started < 5
        assert process.returncode == 0


def test_a_kept_alive_connection_is_answered_whether_its_next_request_is_whole_in_pieces_or_expects_100(
    tmp_path: Path,
) -> None:
    """The pool thread serves a next request that is all there; any other goes back to the loop whole."""
    health = b"GET /_mock/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
    body = b'{"latency_ms": 0}'
    expecting = (
        b"PATCH /_mock/config HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        b"Expect: 100-continue\r\nContent-Length: %d\r\n\r\n" % len(body)
    )
    with running_server("--data-dir", str(tmp_path), log=tmp_path / "k.log") as url, _sockets(url, 1, b"") as (sock,):
        sock.settimeout(10)
        sock.sendall(health + health)  # pipelined: the second is already here
        assert _statuses(sock, 2) == [200, 200]
        sock.sendall(health)
        time.sleep(0.05)
        sock.sendall(health[:9])  # the next one in pieces, after a pause
        time.sleep(0.05)
        sock.sendall(health[9:])
        assert _statuses(sock, 2) == [200, 200]
        sock.sendall(health + expecting)
        assert _statuses(sock, 2) == [200, 100]
        sock.sendall(body)
        assert _statuses(sock, 1) == [200]


def _statuses(sock: socket.socket, count: int) -> list[int]:
    """The statuses of the next ``count`` answers on ``sock`` (each read whole, by its Content-Length)."""
    received = b""
    statuses: list[int] = []
    while len(statuses) < count:
        head_end = received.find(b"\r\n\r\n")
        if head_end < 0:
            received += sock.recv(65536)
            continue
        head = received[:head_end].lower()
        length = int(head.split(b"content-length:", 1)[1].split(b"\r\n", 1)[0]) if b"content-length:" in head else 0
        if len(received) < head_end + 4 + length:
            received += sock.recv(65536)
            continue
        statuses.append(int(head.split(b" ", 2)[1]))
        received = received[head_end + 4 + length :]
    return statuses
