"""One client connection of the intercepting proxy: its requests, a tunnel if it asks, the relay to the mock.

Each request's host is checked (:meth:`Session._route`); an intercepted one is
sent to the mock's own listener over a fresh connection and the answer relayed
as it arrives; anything else is refused in the API's error shape. When the mock
drops its connection, the client's is dropped the same way (a TCP reset).
"""

from __future__ import annotations

import contextlib
import ipaddress
import json
import logging
import select
import socket
import ssl
import struct
import time
import uuid
from contextlib import AbstractContextManager
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any, Protocol
from urllib.parse import urlsplit

import h11

from mockserver.errors import ApiError, BadRequest, Forbidden, RouteNotFound, ServiceUnavailable
from mockserver.util.paths import EncodedSlash, canonical_path, under

log = logging.getLogger(__name__)


class SessionSettings(Protocol):
    """The proxy settings a session reads (:class:`mockserver.interception.proxy.ProxySettings`)."""

    @property
    def hosts(self) -> frozenset[str]: ...

    @property
    def idle_seconds(self) -> float: ...


class Owner(Protocol):
    """What a session asks of the proxy that accepted it (:class:`mockserver.interception.proxy.InterceptingProxy`)."""

    @property
    def settings(self) -> SessionSettings: ...

    def tracked(self, sock: socket.socket) -> AbstractContextManager[None]:
        """Remember an open client socket until the block ends, so stopping the proxy can cut it."""
        ...

    def wrap_client(self, sock: socket.socket) -> ssl.SSLSocket:
        """The client's socket with TLS, as the intercepted host."""
        ...

    def connect_upstream(self) -> socket.socket:
        """A fresh connection to the mock's own listener."""
        ...


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
#: Where the mock's own endpoints live (admin API, dashboard, health): loopback clients only, through the proxy.
ADMIN_PREFIX = "/_mock"
#: A refused request's body is read (and dropped) up to this size so the connection stays usable.
DRAIN_LIMIT = 16 * 1024 * 1024
CHUNK = 65536


class UpstreamDropped(Exception):
    """The mock cut the connection (a staged transport fault): the client's is cut the same way."""


class ClientGone(Exception):
    """The client closed, timed out or spoke nonsense: nothing more can be sent to it."""


@dataclass(frozen=True)
class _Route:
    """Where a request goes: ``path`` on the mock, or a tunnel to open for ``host``."""

    path: bytes
    tunnel_host: str | None = None


class Session:
    """One client connection: its requests, one after another, and a tunnel if it asks for one."""

    def __init__(self, proxy: Owner, peer: tuple[str, int]) -> None:
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
        # Latin-1: one character per byte of the request line, as the mock's server reads it.
        target = request.target.decode("latin-1")
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
        try:
            routed = canonical_path(path)
        except EncodedSlash as refusal:
            raise RouteNotFound([str(refusal)]) from refusal
        if under(routed, ADMIN_PREFIX) and not self.peer_is_loopback:
            # Every proxied call reaches the mock from loopback; the admin API's loopback-only
            # rule must still judge the real client, on the path the mock will route.
            raise Forbidden(["client: the admin API is not served through the proxy to other hosts"])
        return _Route(path.encode("latin-1"))

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


def _is_loopback(address: str) -> bool:
    try:
        return ipaddress.ip_address(address.split("%")[0]).is_loopback
    except ValueError:
        return False


__all__ = ["ClientGone", "Session", "UpstreamDropped"]
