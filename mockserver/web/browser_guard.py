"""What a web page in the developer's browser can make the mock do: nothing, unless it is the dashboard.

Two attacks reach a mock on a laptop from an ordinary web page:

- **DNS rebinding.** A name the attacker controls first points at the attacker,
  then at 127.0.0.1: the page becomes same-origin with the mock and reads the
  journal. The browser still sends the attacker's name as ``Host``, so the
  whole app answers only for the names in :class:`AllowedHosts` (as Django's
  ``ALLOWED_HOSTS`` and Vite's ``server.allowedHosts`` do). Any IP literal is
  allowed: a page can only send one as ``Host`` when it was itself loaded from
  that address, that is from the mock, and a mock reached by its LAN address
  (``--host 0.0.0.0``) keeps working.
- **Cross-site requests.** A form on another site can POST to the mock without
  a preflight. Browsers say where such a request comes from (``Sec-Fetch-Site``,
  ``Origin``); :func:`cross_site` reads both, the admin guard refuses what it
  finds, and the journal leaves such calls out. Scripts, curl and the pytest
  fixture send neither header, and the dashboard is same-origin.
"""

from __future__ import annotations

import functools
import ipaddress
import re
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

from flask import Request

from mockserver.errors import HostNotAllowed
from mockserver.settings.config import Config

#: The names every mock answers for: loopback names (RFC 6761: browsers resolve ``*.localhost``
#: themselves) and the live API's, which the proxy and ``--tls`` answer for.
BUILT_IN_HOSTS = ("localhost", "*.localhost", "api.stability.ai")

#: ``Sec-Fetch-Site`` values of a request a page on another origin made the browser send.
#: ``same-site`` too: another port of localhost is another program, but the same site.
FOREIGN_FETCH_SITES = frozenset({"cross-site", "same-site"})

_HOST = re.compile(r"(?:\[(?P<v6>[0-9a-f:.]+)\]|(?P<name>[a-z0-9_.-]+))(?::[0-9]{1,5})?", re.ASCII)


def host_name(authority: str) -> str | None:
    """The name or address in a ``Host`` header or an origin's ``host[:port]``: lower case, without
    brackets, port or final dot; ``None`` when it is not one (``a@b``, spaces, a bad IPv6)."""
    found = _HOST.fullmatch(authority.strip().lower())
    if found is None:
        return None
    if found["v6"] is not None:
        return found["v6"] if _is_address(found["v6"]) else None
    return found["name"].removesuffix(".") or None


@dataclass(frozen=True)
class AllowedHosts:
    """The host names the app answers for, besides every IP literal.

    Args:
        configured: ``--host`` and each ``--allowed-host``: names, ``*.domain`` or ``*``.
    """

    configured: tuple[str, ...] = ()

    @classmethod
    def of(cls, host: str, allowed: Iterable[str]) -> AllowedHosts:
        return cls(tuple(pattern.lower().removesuffix(".") for pattern in (host, *allowed) if pattern))

    def admits(self, host_header: str | None) -> bool:
        """Whether a request with this ``Host`` is answered (none at all: an HTTP/1.0 client, not a browser)."""
        if host_header is None:
            return True
        name = host_name(host_header)
        if name is None:
            return False
        return _is_address(name) or _matches(name, BUILT_IN_HOSTS + self.configured)

    def admits_origin(self, origin: str, host_header: str | None) -> bool:
        """Whether ``Origin`` is the mock itself: the request's own ``host:port``, or a configured name.

        Loopback names do not count on their own: a page on ``localhost:3000`` is another program.
        """
        parts = urlsplit(origin.strip())
        if parts.scheme not in ("http", "https") or not parts.netloc:
            return False  # "null": a sandboxed frame, a file, a redirect across sites
        if host_header is not None and parts.netloc.lower() == host_header.strip().lower():
            return True
        name = host_name(parts.netloc)
        return name is not None and _matches(name, tuple(p for p in self.configured if p != "*"))


@functools.lru_cache(maxsize=16)
def allowed_hosts(host: str, allowed: tuple[str, ...]) -> AllowedHosts:
    """The allow-list of a config's ``host`` and ``allowed_hosts``, built once per app rather than per request."""
    return AllowedHosts.of(host, allowed)


def check_host(request: Request, config: Config) -> None:
    """Refuse a request whose ``Host`` the mock does not answer for (before routing, so for every path)."""
    host = request.environ.get("HTTP_HOST")
    if not allowed_hosts(config.host, config.allowed_hosts).admits(host):
        raise HostNotAllowed(
            [
                f"host: the mock does not answer for {host!r}; start it with --allowed-host NAME"
                " (STABILITY_MOCK_ALLOWED_HOSTS) to reach it by that name"
            ]
        )


def cross_site(request: Request, config: Config) -> str | None:
    """Why a browser sent ``request`` for a page of another site, or ``None`` when nothing says so."""
    fetch_site = (request.headers.get("Sec-Fetch-Site") or "").strip().lower()
    if fetch_site in FOREIGN_FETCH_SITES:
        return f"sec-fetch-site: a page on another site sent this request ({fetch_site})"
    origin = request.headers.get("Origin")
    allowed = allowed_hosts(config.host, config.allowed_hosts)
    if origin is not None and not allowed.admits_origin(origin, request.environ.get("HTTP_HOST")):
        return f"origin: a page of {origin} sent this request, and it is not the mock's own"
    return None


def _is_address(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


def _matches(name: str, patterns: tuple[str, ...]) -> bool:
    for pattern in patterns:
        if pattern == "*" or name == pattern or (pattern.startswith("*.") and name.endswith(pattern[1:])):
            return True
    return False


__all__ = ["BUILT_IN_HOSTS", "AllowedHosts", "allowed_hosts", "check_host", "cross_site", "host_name"]
