"""An intercepting HTTP(S) forward proxy that answers ``api.stability.ai`` with the mock.

Clients configured with ``HTTPS_PROXY`` speak to a proxy in one of two ways:
``CONNECT api.stability.ai:443`` and then TLS (curl, requests, httpx, aiohttp,
undici), or absolute-form requests in plain text (``GET https://api.stability.ai/...``,
as axios does), several per connection and possibly for other hosts. Both end in
the same loop: each request's host is checked, then the request is rewritten to
origin form and sent to the mock's own listener over a fresh connection, and the
answer is relayed as it arrives. A host other than the intercepted one is
answered ``403 forbidden`` in the API's error shape and never contacted, so the
mock stays offline: 403 rather than 502 because nothing upstream failed; the
proxy refuses by policy, and a client must not retry it as a transient error.

When the mock drops a connection (a staged reset, truncation or stall), the
client's connection is dropped the same way, with a TCP reset, so the client
sees what it would see without the proxy.
"""

from __future__ import annotations

import contextlib
import json
import logging
import socket
import socketserver
import ssl
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from http import HTTPStatus
from pathlib import Path
from types import TracebackType
from typing import Any

from mockserver.errors import ApiError, ServiceUnavailable
from mockserver.interception.ca import TLS12_CIPHERS, CertPair
from mockserver.interception.session import Session

log = logging.getLogger(__name__)

INTERCEPTED_HOSTS = frozenset({"api.stability.ai"})


@dataclass(frozen=True)
class ProxySettings:
    """Where the proxy listens, where the mock answers, and how much the proxy takes on."""

    listen_host: str
    listen_port: int
    upstream_host: str
    upstream_port: int
    #: The certificate presented for the intercepted hosts (signed by the mock's CA).
    cert: CertPair
    #: Set when the mock itself serves TLS (``serve --tls``): the CA to verify it with.
    upstream_ca: Path | None = None
    hosts: frozenset[str] = field(default=INTERCEPTED_HOSTS)
    #: Client connections served at once; more are answered 503 and closed.
    max_connections: int = 64
    #: A client connection silent this long (between or within requests) is closed.
    idle_seconds: float = 60.0
    #: How long the mock may take to answer; a staged stall is bounded by this too.
    upstream_seconds: float = 600.0


class InterceptingProxy:
    """A threaded proxy server; :meth:`start` runs it in a thread, :meth:`serve_forever` in this one."""

    def __init__(self, settings: ProxySettings) -> None:
        self.settings = settings
        self._tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self._tls.load_cert_chain(settings.cert.cert, settings.cert.key)
        self._tls.set_ciphers(TLS12_CIPHERS)
        self._tls.set_alpn_protocols(["http/1.1"])
        self._upstream_tls = (
            ssl.create_default_context(cafile=str(settings.upstream_ca)) if settings.upstream_ca else None
        )
        self._slots = threading.BoundedSemaphore(settings.max_connections)
        self._open: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._server = _Server((settings.listen_host, settings.listen_port), self)
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        """The proxy URL for clients on this machine (``HTTPS_PROXY``)."""
        host = loopback_for(self.settings.listen_host)
        return f"http://[{host}]:{self.port}" if ":" in host else f"http://{host}:{self.port}"

    def serve_forever(self) -> None:
        self._server.serve_forever(poll_interval=0.2)

    def start(self) -> InterceptingProxy:
        self._thread = threading.Thread(target=self.serve_forever, name="stability-mock-proxy", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop accepting, cut the connections still open, and release the port."""
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join(timeout=10)
            self._thread = None
        self._server.server_close()
        with self._lock:
            still_open = list(self._open)
        for sock in still_open:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def __enter__(self) -> InterceptingProxy:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.stop()

    # Connections ------------------------------------------------------------

    def admit(self, sock: socket.socket) -> bool:
        """Take a connection slot; a proxy at its limit answers 503 at once rather than queueing."""
        if self._slots.acquire(blocking=False):
            return True
        refusal = ServiceUnavailable(
            ["proxy: too many connections at once; retry shortly"], message="The mock's proxy is busy."
        )
        with contextlib.suppress(OSError):
            sock.settimeout(2)
            sock.sendall(_raw_response(refusal))
        return False

    def release(self) -> None:
        self._slots.release()

    def handle(self, sock: socket.socket, peer: tuple[str, int]) -> None:
        """Serve one client connection until it closes, idles out, or is dropped."""
        Session(self, peer).serve(sock, tunnel=None)

    @contextlib.contextmanager
    def tracked(self, sock: socket.socket) -> Iterator[None]:
        """Remember an open client socket (plain or TLS) so :meth:`stop` can cut it."""
        with self._lock:
            self._open.add(sock)
        try:
            yield
        finally:
            with self._lock:
                self._open.discard(sock)

    def wrap_client(self, sock: socket.socket) -> ssl.SSLSocket:
        return self._tls.wrap_socket(sock, server_side=True)

    def connect_upstream(self) -> socket.socket:
        settings = self.settings
        raw = socket.create_connection((settings.upstream_host, settings.upstream_port), timeout=10)
        raw.settimeout(settings.upstream_seconds)
        if self._upstream_tls is None:
            return raw
        try:
            return self._upstream_tls.wrap_socket(raw, server_hostname=settings.upstream_host)
        except BaseException:
            raw.close()
            raise


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    block_on_close = False

    def __init__(self, address: tuple[str, int], proxy: InterceptingProxy) -> None:
        self.proxy = proxy
        self.address_family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        super().__init__(address, socketserver.BaseRequestHandler)

    def process_request(self, request: Any, client_address: Any) -> None:
        if not self.proxy.admit(request):
            self.shutdown_request(request)
            return
        try:
            super().process_request(request, client_address)
        except BaseException:
            self.proxy.release()
            raise

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self.proxy.release()

    def finish_request(self, request: Any, client_address: Any) -> None:
        self.proxy.handle(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        """Close without ``shutdown(SHUT_WR)``: a connection the session reset must not get a FIN first."""
        request.close()

    def handle_error(self, request: Any, client_address: Any) -> None:
        log.exception("proxy: unexpected error serving %s", client_address)


def _raw_response(error: ApiError) -> bytes:
    body = json.dumps(error.body(uuid.uuid4().hex)).encode()
    head = (
        f"HTTP/1.1 {error.status} {HTTPStatus(error.status).phrase}\r\ncontent-type: application/json\r\n"
        f"content-length: {len(body)}\r\nconnection: close\r\n\r\n"
    )
    return head.encode() + body


def loopback_for(host: str) -> str:
    """Where a listener bound to ``host`` is reached from this machine (a wildcard bind answers on loopback)."""
    return {"0.0.0.0": "127.0.0.1", "": "127.0.0.1", "::": "::1"}.get(host, host)
