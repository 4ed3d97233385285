"""The gunicorn worker the mock serves on: gthread, with whole requests read before a thread is used.

gunicorn's threaded worker gives each new or kept-alive connection to a pool
thread, which then blocks reading the request: with ``--threads 4``, four
clients that send half a request and go quiet stop the server. This worker
reads requests in its event loop instead (:mod:`mockserver.serving.framing`) and hands
a connection to a thread only once its request is all in, so slow and idle
clients cost a buffer, not a thread. A request not complete within
``read_timeout`` seconds is answered 408 (idle connections are just closed).

It also answers gunicorn's own refusals (a bad request line, a too-long URI,
too-large headers) in the API's JSON error shape instead of HTML
(:mod:`mockserver.serving.engine_errors`).
"""

from __future__ import annotations

import contextlib
import selectors
import socket
import ssl
import time
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from gunicorn import http
from gunicorn.http.errors import InvalidHeader, UnsupportedTransferCoding
from gunicorn.sock import ssl_context
from gunicorn.workers.gthread import _DEFER, TConn, ThreadWorker

from mockserver.errors import ApiError, RequestTimeout
from mockserver.serving.engine_errors import HtmlPage, api_error_for, error_bytes
from mockserver.serving.framing import CONTINUE, RequestFraming
from mockserver.serving.preread import PrereadUnreader, ReadTimedOut

#: Defaults when the worker runs without the mock's config (gunicorn started by hand).
DEFAULT_READ_TIMEOUT = 30.0
DEFAULT_MAX_BODY_BYTES = 10 * 1024 * 1024
#: One read from a client; below glibc's mmap threshold, so each read is not an mmap and munmap.
RECV_BYTES = 64 * 1024
#: Requests a pool thread serves in a row on one kept-alive connection (see ``MockWorker.handle``),
#: and for how long while other requests wait for a thread.
IN_THREAD_REQUESTS = 16
IN_THREAD_SECONDS = 0.01
#: Request bytes a worker holds for connections still sending; past it, a connection that sends
#: more is handed to a thread as it is (which reads the rest, each read bounded by ``read_timeout``).
BUFFER_BUDGET_BYTES = 128 * 1024 * 1024


def _recv_now(sock: socket.socket) -> bytes:
    """What ``sock`` has received already, without waiting (b"" for nothing, or for the client's end)."""
    timeout = sock.gettimeout()
    if timeout:
        sock.settimeout(0.0)  # with a timeout, Python would wait for data before it reads
    try:
        return sock.recv(RECV_BYTES, socket.MSG_DONTWAIT)
    except (BlockingIOError, InterruptedError):
        return b""
    finally:
        if timeout:
            sock.settimeout(timeout)


class _Conn(TConn):  # type: ignore[misc]
    """A connection whose socket reads and writes give up after ``read_timeout`` once a thread has it."""

    read_timeout: float = DEFAULT_READ_TIMEOUT

    def init(self) -> None:
        super().init()
        self.sock.settimeout(self.read_timeout)


@dataclass
class _Reading:
    """A connection whose request is still arriving, read by the event loop."""

    conn: Any
    framing: RequestFraming
    deadline: float
    registered: bool = field(default=False)
    #: Bytes this connection holds in the worker's buffer budget.
    counted: int = 0


class MockWorker(ThreadWorker):  # type: ignore[misc]
    """gunicorn's threaded worker, reading requests before it gives them a thread; engine errors as JSON."""

    read_timeout = DEFAULT_READ_TIMEOUT
    max_body_bytes = DEFAULT_MAX_BODY_BYTES

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        config = getattr(self.app, "mock_config", None)
        if config is not None:
            self.read_timeout = config.read_timeout
            self.max_body_bytes = config.max_body_bytes
        #: Connections whose request is still arriving, oldest deadline first (one timeout for all).
        self.reading: dict[int, _Reading] = {}
        self.buffered = 0

    # -- reading requests in the event loop ------------------------------------------------------

    def init_process(self) -> None:
        # HTTP/2 (never configured by serve) is gunicorn's to read; the loop reads HTTP/1.1 only.
        self.front = "h2" not in self.cfg.http_protocols
        #: One TLS context for the worker's connections, not one per connection.
        self.tls = ssl_context(self.cfg) if self.cfg.is_ssl else None
        super().init_process()

    def accept(self, listener: socket.socket) -> None:
        if not self.front:
            super().accept(listener)
            return
        try:
            client, address = listener.accept()
        except (BlockingIOError, ConnectionAbortedError, InterruptedError):
            return
        self.nr_conns += 1
        conn = _Conn(self.cfg, client, address, listener.getsockname())
        conn.read_timeout = self.read_timeout
        if self.tls is not None:
            self._shake_hands(conn, self.tls)
            return
        # Most clients send at once: read now rather than after another turn of the loop.
        self._read(conn, b"", read_now=True)

    def _shake_hands(self, conn: Any, context: ssl.SSLContext) -> None:
        """The TLS handshake, in the loop too: a client that stops halfway holds no thread."""
        conn.sock = context.wrap_socket(
            conn.sock,
            server_side=True,
            do_handshake_on_connect=False,
            suppress_ragged_eofs=self.cfg.suppress_ragged_eofs,
        )
        reading = _Reading(conn, RequestFraming(self.max_body_bytes), time.monotonic() + self.read_timeout)
        self.reading[id(conn)] = reading
        reading.registered = True
        self.poller.register(conn.sock, selectors.EVENT_READ, partial(self._on_handshake, reading))

    def _on_handshake(self, reading: _Reading, _sock: socket.socket) -> None:
        try:
            reading.conn.sock.do_handshake()
        except (ssl.SSLWantReadError, ssl.SSLWantWriteError):
            return
        except (ssl.SSLError, OSError):
            self._forget(reading)
            self._close(reading.conn)
            return
        self.poller.modify(reading.conn.sock, selectors.EVENT_READ, partial(self._on_readable, reading))
        self._on_readable(reading, reading.conn.sock)

    def on_client_socket_readable(self, conn: Any, client: socket.socket) -> None:
        """A kept-alive connection's next request is starting: read it here, not on a thread."""
        if not self.front:
            super().on_client_socket_readable(conn, client)
            return
        self.keepalived_conns.remove(conn)
        self._read(conn, b"", registered=True, read_now=True)

    def finish_request(self, conn: Any, fs: Any) -> None:
        if not self.front or fs.cancelled() or fs.exception() is not None or conn.parser is None:
            super().finish_request(conn, fs)
            return
        result = fs.result()
        if result and result is not _DEFER and self.alive and conn.parser.unreader.holds_data():
            # Bytes of the next request (pipelined) are already here: read the rest of it in the loop too.
            self._read(conn, conn.parser.unreader.take_buffered())
            return
        super().finish_request(conn, fs)

    def handle(self, conn: Any) -> Any:
        """gunicorn's ``handle``, then the connection's next requests while each is already all here.

        A kept-alive connection's next request otherwise goes back through the event
        loop: a done callback, the wake-up pipe, a poller registration, a read, a new
        hand-off to a thread (about a sixth of a poll's CPU); a client that sends its
        next request as soon as it has the answer finds it read here instead. Only a
        request complete in the socket now (read without waiting) is served so, at most
        ``IN_THREAD_REQUESTS`` in a row, and for at most ``IN_THREAD_SECONDS`` while
        other requests wait for a thread: anything else goes back to the loop as
        before, with what was read of it.
        """
        started = time.monotonic()
        result = super().handle(conn)
        served = 1
        while result is True and served < IN_THREAD_REQUESTS and self._next_request_here(conn, started):
            result = super().handle(conn)
            served += 1
        return result

    def _next_request_here(self, conn: Any, started: float) -> bool:
        """Whether ``conn``'s next request is all in now; bytes of an incomplete one are kept for the loop."""
        if not self.front or not self.alive or isinstance(conn.sock, ssl.SSLSocket):
            return False
        if self.tpool._work_queue.qsize() and time.monotonic() - started > IN_THREAD_SECONDS:
            return False
        unreader = conn.parser.unreader
        data = unreader.take_buffered()
        try:
            data += _recv_now(conn.sock)
        except OSError:
            unreader.hold(data)
            return False
        framing = RequestFraming(self.max_body_bytes)
        framing.feed(data)
        if not framing.done or framing.wants_continue:
            unreader.hold(data)
            return False
        unreader.hold(bytes(framing.data))
        conn.data_ready = True
        return True

    def _read(self, conn: Any, data: bytes, *, registered: bool = False, read_now: bool = False) -> None:
        """Read ``conn``'s next request in the loop (``data``: its first bytes, already received)."""
        conn.sock.setblocking(False)
        reading = _Reading(conn, RequestFraming(self.max_body_bytes), time.monotonic() + self.read_timeout)
        self.reading[id(conn)] = reading
        callback = partial(self._on_readable, reading)
        if registered:
            self.poller.modify(conn.sock, selectors.EVENT_READ, callback)
        else:
            self.poller.register(conn.sock, selectors.EVENT_READ, callback)
        reading.registered = True
        if data:
            self._take(reading, data)
        elif read_now:
            self._on_readable(reading, conn.sock)

    def _on_readable(self, reading: _Reading, _sock: socket.socket) -> None:
        sock = reading.conn.sock
        try:
            data = sock.recv(RECV_BYTES)
            # TLS may hold decrypted bytes the socket no longer signals: take them too.
            while data and isinstance(sock, ssl.SSLSocket) and sock.pending():
                data += sock.recv(RECV_BYTES)
        except (BlockingIOError, InterruptedError, ssl.SSLWantReadError, ssl.SSLWantWriteError):
            return
        except OSError:
            data = b""
        if not data:
            self._forget(reading)
            if reading.framing.received:
                # The client stopped sending (it may still read): gunicorn and the app
                # answer the request cut short, as they would have without the loop.
                self._hand_over(reading)
            else:
                self._close(reading.conn)
            return
        self._take(reading, data)

    def _take(self, reading: _Reading, data: bytes) -> None:
        reading.framing.feed(data)
        self._count(reading, len(data))
        if reading.framing.wants_continue:
            reading.framing.wants_continue = False
            with contextlib.suppress(OSError):
                reading.conn.sock.send(CONTINUE)
        if reading.framing.done or self.buffered > BUFFER_BUDGET_BYTES:
            self._forget(reading)
            self._hand_over(reading)

    def _hand_over(self, reading: _Reading) -> None:
        """Give a connection whose request is all here to a pool thread; gunicorn parses it from the buffer."""
        conn = reading.conn
        if conn.parser is None:
            conn.parser = http.get_parser(self.cfg, conn.sock, conn.client)
            conn.parser.unreader = PrereadUnreader(conn.sock)
        conn.parser.unreader.hold(bytes(reading.framing.data))
        conn.data_ready = True
        self.enqueue_req(conn)

    def _count(self, reading: _Reading, size: int) -> None:
        reading.counted += size
        self.buffered += size

    def _forget(self, reading: _Reading) -> None:
        self.reading.pop(id(reading.conn), None)
        self._count(reading, -reading.counted)
        if reading.registered:
            reading.registered = False
            with contextlib.suppress(KeyError, ValueError, OSError):
                self.poller.unregister(reading.conn.sock)

    def _close(self, conn: Any) -> None:
        self.nr_conns -= 1
        conn.close()

    def murder_pending(self) -> None:
        """gunicorn's own sweep, then requests past their deadline: a 408 if anything was sent, else just closed."""
        super().murder_pending()
        now = time.monotonic()
        for reading in list(self.reading.values()):
            idle_at_stop = not self.alive and not reading.framing.received
            if reading.deadline > now and not idle_at_stop:
                if self.alive:
                    break  # one timeout for all: the rest are younger
                continue
            self._forget(reading)
            if reading.framing.received:
                self.log.info("Request timeout from %s after %d bytes", reading.conn.client, reading.framing.received)
                with contextlib.suppress(OSError):
                    reading.conn.sock.send(error_bytes(self._timeout_error(), "Request Timeout"))
            self._close(reading.conn)

    # -- gunicorn's own refusals in the API's shape ----------------------------------------------

    def handle_error(self, req: Any, client: Any, addr: Any, exc: BaseException) -> None:
        """gunicorn logs and chooses the status; the answer leaves in the API's shape.

        gunicorn's parser answers ``Transfer-Encoding: foo`` with 501 before the app
        sees it; RFC 9112 section 6.3 asks for 400 when chunked is not the final
        coding, and the mock answers no 5xx it was not asked for: a body the
        server cannot undo is the client's bad request.
        """
        if isinstance(exc, ReadTimedOut):
            self.log.info("Request timeout from %s (on a thread)", addr)
            self._send_error(client, self._timeout_error(), "Request Timeout")
            return
        if isinstance(exc, UnsupportedTransferCoding):
            exc = InvalidHeader("TRANSFER-ENCODING", req=req)
        page = HtmlPage()
        super().handle_error(req, page, addr, exc)
        error, reason = api_error_for(page, exc)
        self._send_error(client, error, reason)

    def _send_error(self, client: Any, error: ApiError, reason: str) -> None:
        try:
            client.setblocking(True)
            client.settimeout(5.0)
            client.sendall(error_bytes(error, reason))
        except OSError:
            self.log.debug("Failed to send error message.")

    def _timeout_error(self) -> RequestTimeout:
        return RequestTimeout([f"request: not complete within {self.read_timeout:g} s"])
