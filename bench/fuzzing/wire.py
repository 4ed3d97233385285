"""One raw HTTP/1.1 exchange over a loopback socket, and a parser for what came back.

The request is sent as it is, then the sending side is shut (half-close), so a
server waiting for a body longer than the one sent sees the end of it instead
of waiting for bytes that never come. Everything received until the server
closes (or the deadline) is parsed into the responses it holds: a keep-alive
server answers once per request it found in the bytes, so a body shorter than
its ``Content-Length`` claims may be followed by a second answer.
"""

from __future__ import annotations

import contextlib
import re
import socket
import time
from dataclasses import dataclass

LOOPBACK = "127.0.0.1"
#: Reading stops past this many bytes: no answer of the mock to a fuzzed request is that big.
MAX_RECEIVED = 64 * 1024 * 1024

_STATUS_LINE = re.compile(rb"HTTP/(\d)\.(\d) (\d{3})(?: ([^\r\n]*))?")


@dataclass(frozen=True)
class RawResponse:
    """One parsed answer: status, headers in order (names as sent), body."""

    status: int
    reason: str
    headers: list[tuple[str, str]]
    body: bytes

    def header(self, name: str) -> str | None:
        """The first header called ``name`` (case-insensitive), if any."""
        lower = name.lower()
        return next((value for key, value in self.headers if key.lower() == lower), None)


@dataclass(frozen=True)
class RawExchange:
    """What one connection brought back, as bytes (an app-side call is ``mockserver.pipeline.exchange.Exchange``)."""

    responses: list[RawResponse]
    #: Why reading stopped before the server closed: ``timeout``, ``reset``, ``too-much``, or ``None``.
    read_error: str | None = None
    #: Why sending stopped early (the server closed first), or ``None``.
    send_error: str | None = None
    #: Received bytes that do not parse as a response (a cut or garbled answer).
    unparsed: bytes = b""
    received: int = 0
    seconds: float = 0.0

    @property
    def first(self) -> RawResponse | None:
        return self.responses[0] if self.responses else None


def exchange(port: int, data: bytes, *, method: str = "GET", timeout: float = 15.0) -> RawExchange:
    """Send ``data`` to ``127.0.0.1:port``, half-close, and parse everything answered."""
    started = time.monotonic()
    deadline = started + timeout
    received = bytearray()
    read_error = send_error = None
    with socket.create_connection((LOOPBACK, port), timeout=timeout) as sock:
        try:
            sock.sendall(data)
        except OSError as exc:
            send_error = type(exc).__name__
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_WR)
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                read_error = "timeout"
                break
            sock.settimeout(remaining)
            try:
                chunk = sock.recv(256 * 1024)
            except TimeoutError:
                read_error = "timeout"
                break
            except OSError:
                read_error = "reset"
                break
            if not chunk:
                break
            received += chunk
            if len(received) > MAX_RECEIVED:
                read_error = "too-much"
                break
    responses, rest = parse_responses(bytes(received), method=method)
    return RawExchange(
        responses=responses,
        read_error=read_error,
        send_error=send_error,
        unparsed=rest,
        received=len(received),
        seconds=time.monotonic() - started,
    )


def parse_responses(data: bytes, *, method: str = "GET") -> tuple[list[RawResponse], bytes]:
    """Every complete response in ``data``, in order, and the bytes left over.

    Interim ``1xx`` answers (``100 Continue``) are skipped. Only the first
    response belongs to ``method``; later ones answer whatever the server
    found after the first request's body. An answer to HEAD has no body,
    except the HTTP layer's own error pages, which always carry one: when
    what follows a bodiless parse is not another response, the body is read.
    """
    responses: list[RawResponse] = []
    position = 0
    while position < len(data):
        head = method == "HEAD" and not responses
        parsed = _parse_one(data, position, head=head)
        if head and parsed is not None and parsed[1] < len(data) and not data.startswith(b"HTTP/", parsed[1]):
            parsed = _parse_one(data, position, head=False)
        if parsed is None:
            break
        response, position = parsed
        if 100 <= response.status < 200:
            continue
        responses.append(response)
    return responses, data[position:]


def _parse_one(data: bytes, start: int, *, head: bool) -> tuple[RawResponse, int] | None:
    end = data.find(b"\r\n\r\n", start)
    if end < 0:
        return None
    lines = data[start:end].split(b"\r\n")
    status_line = _STATUS_LINE.fullmatch(lines[0])
    if status_line is None:
        return None
    headers = []
    for line in lines[1:]:
        name, colon, value = line.partition(b":")
        if not colon:
            return None
        headers.append((name.decode("latin-1").strip(), value.decode("latin-1").strip()))
    status = int(status_line[3])
    reason = (status_line[4] or b"").decode("latin-1")
    body_start = end + 4
    lookup = {name.lower(): value for name, value in headers}
    if head or 100 <= status < 200 or status in (204, 304):
        return RawResponse(status, reason, headers, b""), body_start
    if "chunked" in lookup.get("transfer-encoding", "").lower():
        dechunked = _dechunk(data, body_start)
        if dechunked is None:
            return None
        body, after = dechunked
        return RawResponse(status, reason, headers, body), after
    if "content-length" in lookup:
        try:
            length = int(lookup["content-length"])
        except ValueError:
            return None
        if length < 0 or body_start + length > len(data):
            return None
        return RawResponse(status, reason, headers, data[body_start : body_start + length]), body_start + length
    # No framing: the body runs until the server closed the connection.
    return RawResponse(status, reason, headers, data[body_start:]), len(data)


def _dechunk(data: bytes, position: int) -> tuple[bytes, int] | None:
    body = bytearray()
    while True:
        line_end = data.find(b"\r\n", position)
        if line_end < 0:
            return None
        try:
            size = int(data[position:line_end].split(b";", 1)[0], 16)
        except ValueError:
            return None
        position = line_end + 2
        if size == 0:
            trailer_end = data.find(b"\r\n", position)
            while trailer_end > position:  # skip trailer fields
                position = trailer_end + 2
                trailer_end = data.find(b"\r\n", position)
            return (bytes(body), trailer_end + 2) if trailer_end >= 0 else None
        if position + size + 2 > len(data):
            return None
        body += data[position : position + size]
        position += size + 2
