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
import ipaddress
import json
import logging
import select
import socket
import socketserver
import ssl
import struct
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from http import HTTPStatus
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

import h11

from mockserver.errors import ApiError, BadRequest, Forbidden, ServiceUnavailable
from mockserver.interception.ca import CertPair

log = logging.getLogger(__name__)

INTERCEPTED_HOSTS = frozenset({"api.stability.ai"})
#: Hop-by-hop headers (RFC 9110 section 7.6.1) and the proxy's own: never passed on.
HOP_BY_HOP = frozenset(
    {
        b"connection",
        b"keep-alive",
        b"proxy-connection",
        b"proxy-authorization",
        b"proxy-authenticate",
        b"te",
        b"trailer",
        b"upgrade",
        b"expect",
    }
)
DEFAULT_PORTS = {"https": 443, "http": 80}
#: A refused request's body is read (and dropped) up to this size so the connection stays usable.
DRAIN_LIMIT = 16 * 1024 * 1024
CHUNK = 65536


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


class UpstreamDropped(Exception):
    """The mock cut the connection (a staged transport fault): the client's is cut the same way."""


class ClientGone(Exception):
    """The client closed, timed out or spoke nonsense: nothing more can be sent to it."""


class InterceptingProxy:
    """A threaded proxy server; :meth:`start` runs it in a thread, :meth:`serve_forever` in this one."""

    def __init__(self, settings: ProxySettings) -> None:
        self.settings = settings
        self._tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self._tls.load_cert_chain(settings.cert.cert, settings.cert.key)
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
        _Session(self, peer).serve(sock, tunnel=None)

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


@dataclass(frozen=True)
class _Route:
    """Where a request goes: ``path`` on the mock, or a tunnel to open for ``host``."""

    path: bytes
    tunnel_host: str | None = None


class _Session:
    """One client connection: its requests, one after another, and a tunnel if it asks for one."""

    def __init__(self, proxy: InterceptingProxy, peer: tuple[str, int]) -> None:
        self.proxy = proxy
        self.settings = proxy.settings
        self.peer_is_loopback = _is_loopback(peer[0])

    def serve(self, sock: socket.socket, tunnel: str | None) -> None:
        with self.proxy.tracked(sock):
            try:
                self._serve(sock, tunnel)
            except ClientGone as gone:
                log.debug("proxy: client connection ended: %s", gone)
            except UpstreamDropped as dropped:
                log.debug("proxy: the mock dropped the connection (%s); dropping the client's", dropped)
                _reset(sock)
            finally:
                sock.close()

    def _serve(self, sock: socket.socket, tunnel: str | None) -> None:
        conn = h11.Connection(h11.SERVER)
        while True:
            sock.settimeout(self.settings.idle_seconds)
            request = _next_event(conn, sock)
            if not isinstance(request, h11.Request):
                return
            try:
                route = self._route(request, tunnel)
            except ApiError as refusal:
                log.info("proxy: refused %s %s: %s", request.method.decode(), request.target.decode(), refusal)
                if not self._refuse(sock, conn, refusal):
                    return
            else:
                if route.tunnel_host is not None:
                    self._tunnel(sock, conn, route.tunnel_host)
                    return
                self._forward(sock, conn, request, route.path)
            if conn.our_state is not h11.DONE or conn.their_state is not h11.DONE:
                return
            conn.start_next_cycle()

    def _route(self, request: h11.Request, tunnel: str | None) -> _Route:
        """Check one request's host; raises the refusal the client gets."""
        target = request.target.decode("ascii", "replace")
        if request.method == b"CONNECT":
            if tunnel is not None:
                raise BadRequest(["request: CONNECT inside a tunnel is not supported"])
            host, _, port_text = target.rpartition(":")
            self._check_host(host.strip("[]").lower(), int(port_text) if port_text.isdigit() else -1, 443, target)
            return _Route(b"", tunnel_host=host.lower())
        if target.startswith("/"):
            if tunnel is None:
                raise BadRequest(
                    [f"request: {target} is origin-form; this is a proxy for https://api.stability.ai only"],
                    message="Send absolute URIs (https://api.stability.ai/...) or CONNECT to this proxy.",
                )
            path = target
        else:
            parts = urlsplit(target)
            if parts.scheme not in DEFAULT_PORTS or not parts.hostname:
                raise BadRequest([f"request: {target!r} is not an http or https URI"])
            try:
                port = parts.port or DEFAULT_PORTS[parts.scheme]
            except ValueError:
                port = -1
            self._check_host(parts.hostname.lower(), port, DEFAULT_PORTS[parts.scheme], parts.netloc)
            path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        if path.startswith("/_mock/") and not self.peer_is_loopback:
            # Every proxied call reaches the mock from loopback; the admin API's loopback-only
            # rule must still judge the real client.
            raise Forbidden(["client: the admin API is not served through the proxy to other hosts"])
        return _Route(path.encode("ascii", "replace"))

    def _check_host(self, host: str, port: int, expected_port: int, shown: str) -> None:
        if host not in self.settings.hosts:
            allowed = ", ".join(sorted(self.settings.hosts))
            raise Forbidden(
                [f"host: {shown} is not intercepted; the mock answers only for {allowed} and contacts no other host"],
                message=f"The mock's proxy refuses {shown}: only {allowed} is intercepted.",
            )
        if port != expected_port:
            raise Forbidden(
                [f"host: {shown} is not intercepted; only port {expected_port} of {host} is"],
                message=f"The mock's proxy refuses {shown}.",
            )

    def _refuse(self, sock: socket.socket, conn: h11.Connection, refusal: ApiError) -> bool:
        """Answer ``refusal``; ``True`` when the connection can carry another request."""
        keep = not conn.they_are_waiting_for_100_continue and self._drain(sock, conn)
        body = json.dumps(refusal.body(uuid.uuid4().hex)).encode()
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            (b"x-request-id", uuid.uuid4().hex.encode()),
        ]
        if not keep:
            headers.append((b"connection", b"close"))
        reason = HTTPStatus(refusal.status).phrase.encode()
        _send(sock, conn, h11.Response(status_code=refusal.status, headers=headers, reason=reason))
        _send(sock, conn, h11.Data(data=body))
        _send(sock, conn, h11.EndOfMessage())
        if not keep:
            _close_gently(sock)
        return keep

    def _drain(self, sock: socket.socket, conn: h11.Connection) -> bool:
        """Read and drop a refused request's body (bounded); ``False`` if it is too large to bother."""
        taken = 0
        while True:
            event = _next_event(conn, sock)
            if isinstance(event, h11.EndOfMessage):
                return True
            if isinstance(event, h11.Data):
                taken += len(event.data)
                if taken > DRAIN_LIMIT:
                    return False
            elif isinstance(event, h11.ConnectionClosed):
                raise ClientGone("closed while sending a refused body")

    def _tunnel(self, sock: socket.socket, conn: h11.Connection, host: str) -> None:
        """Answer the CONNECT, terminate TLS with the mock's certificate, and serve what comes inside."""
        while not isinstance(_next_event(conn, sock), h11.EndOfMessage):
            pass
        _send(sock, conn, h11.Response(status_code=200, headers=[], reason=b"Connection established"))
        early, _ = conn.trailing_data
        if early:
            # A client that starts TLS before reading the 200 is outside HTTP/1.1's CONNECT rules.
            raise ClientGone("TLS data sent before the CONNECT answer")
        try:
            tls_sock = self.proxy.wrap_client(sock)
        except (ssl.SSLError, OSError) as exc:
            # Most often: the client does not trust the mock's CA (see `stability-mock ca-cert`).
            log.info("proxy: TLS handshake for %s failed: %s", host, exc)
            raise ClientGone(f"TLS handshake failed: {exc}") from exc
        self.serve(tls_sock, tunnel=host)

    def _forward(self, sock: socket.socket, conn: h11.Connection, request: h11.Request, path: bytes) -> None:
        """Send one request to the mock over a fresh connection and relay its answer as it comes.

        A fresh connection per request: the mock's keep-alive timeout can close a
        reused one just as a request is sent, which would look like a staged reset.
        """
        headers = [(name, value) for name, value in request.headers if name.lower() not in HOP_BY_HOP]
        try:
            upstream_sock = self.proxy.connect_upstream()
        except OSError as exc:
            log.error("proxy: the mock's listener does not answer: %s", exc)
            self._refuse(sock, conn, ServiceUnavailable([f"upstream: the mock's listener does not answer ({exc})"]))
            return
        upstream = h11.Connection(h11.CLIENT)
        try:
            _send_upstream(upstream_sock, upstream, h11.Request(method=request.method, target=path, headers=headers))
            if conn.they_are_waiting_for_100_continue:
                _send(sock, conn, h11.InformationalResponse(status_code=100, headers=[]))
            self._relay_body(sock, conn, upstream_sock, upstream)
            status = self._relay_response(sock, conn, upstream_sock, upstream)
        finally:
            upstream_sock.close()
        log.debug("proxy: %s %s -> %s", request.method.decode(), request.target.decode(), status)

    def _relay_body(
        self, sock: socket.socket, conn: h11.Connection, upstream_sock: socket.socket, upstream: h11.Connection
    ) -> None:
        while True:
            event = _next_event(conn, sock)
            if isinstance(event, h11.Data):
                _send_upstream(upstream_sock, upstream, h11.Data(data=event.data))
            elif isinstance(event, h11.EndOfMessage):
                _send_upstream(upstream_sock, upstream, h11.EndOfMessage())
                return
            else:
                raise ClientGone("closed in the middle of its request body")

    def _relay_response(
        self, sock: socket.socket, conn: h11.Connection, upstream_sock: socket.socket, upstream: h11.Connection
    ) -> int:
        status = 0
        while True:
            try:
                event = _next_event(upstream, upstream_sock)
            except ClientGone as exc:
                raise UpstreamDropped(str(exc)) from exc
            if isinstance(event, h11.Response):
                status = event.status_code
                headers = [(name, value) for name, value in event.headers if name.lower() not in HOP_BY_HOP]
                _send(sock, conn, h11.Response(status_code=status, headers=headers, reason=event.reason))
            elif isinstance(event, h11.Data):
                _send(sock, conn, h11.Data(data=event.data))
            elif isinstance(event, h11.EndOfMessage):
                _send(sock, conn, h11.EndOfMessage())
                return status
            elif isinstance(event, h11.ConnectionClosed):
                raise UpstreamDropped("closed before answering")


def _next_event(conn: h11.Connection, sock: socket.socket) -> Any:
    """The next complete h11 event, reading from ``sock`` as needed."""
    while True:
        try:
            event = conn.next_event()
        except h11.RemoteProtocolError as exc:
            raise ClientGone(f"protocol error: {exc}") from exc
        if event is h11.PAUSED:
            return event
        if event is not h11.NEED_DATA:
            return event
        try:
            data = sock.recv(CHUNK)
        except (OSError, ssl.SSLError) as exc:
            raise ClientGone(str(exc) or type(exc).__name__) from exc
        conn.receive_data(data)


def _send(sock: socket.socket, conn: h11.Connection, event: Any) -> None:
    data = conn.send(event)
    if data:
        try:
            sock.sendall(data)
        except OSError as exc:
            raise ClientGone(str(exc)) from exc


def _send_upstream(sock: socket.socket, conn: h11.Connection, event: Any) -> None:
    try:
        _send(sock, conn, event)
    except ClientGone as exc:
        raise UpstreamDropped(str(exc)) from exc


def _reset(sock: socket.socket) -> None:
    """Drop the connection with a TCP reset (``SO_LINGER`` 0), as the mock dropped its own."""
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


def _close_gently(sock: socket.socket, seconds: float = 1.0) -> None:
    """Send our FIN, then read what the client still sends for a moment, so the answer is not lost to a reset.

    Closing a socket with unread input makes the kernel send a reset, which can
    destroy a response the client has not read yet (RFC 9112 section 9.6).
    """
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_WR)
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            readable, _, _ = select.select([sock], [], [], left)
            if not readable or not sock.recv(CHUNK):
                return


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


def _is_loopback(address: str) -> bool:
    try:
        return ipaddress.ip_address(address.split("%")[0]).is_loopback
    except ValueError:
        return False
