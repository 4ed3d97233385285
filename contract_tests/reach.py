"""How the client under test reaches the suite's mock: plain http, TLS, or as ``https://api.stability.ai``.

Published clients hard-code the live host, or refuse a base URL that is not
``https://``; a user must not have to change them to test them. Under TLS the mock
presents a certificate from a CA made for this run; behind the intercepting
proxy the client keeps its own host. Either way the client learns where to go
and what to trust only from its environment, the variables every HTTP stack
reads (Python's ``ssl``, requests, httpx, curl, Node): they are handed to a
``--client-cmd`` and set in this process for a ``--client`` while the suite runs.
"""

from __future__ import annotations

import contextlib
import os
import ssl
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

from contract_tests.interception import intercepting, proxy_environ, trust_environ
from contract_tests.server import LiveServer
from mockserver.interception.ca import TLS12_CIPHERS, LocalCA

#: The host clients hard-code; behind the proxy it is the mock.
LIVE_BASE_URL = "https://api.stability.ai"


@dataclass(frozen=True)
class Reach:
    """The base URL a client is given and the environment it needs to use it."""

    base_url: str
    environ: dict[str, str] = field(default_factory=dict)


def tls_context(ca: LocalCA) -> ssl.SSLContext:
    """The server side of the mock's TLS: a leaf for loopback and the live host, signed by ``ca``."""
    pair = ca.leaf()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(pair.cert, pair.key)
    context.set_ciphers(TLS12_CIPHERS)
    return context


@contextlib.contextmanager
def reaching(server: LiveServer, ca: LocalCA | None, *, proxy: bool) -> Iterator[Reach]:
    """How to reach the running ``server``: through a proxy for ``api.stability.ai`` when ``proxy``
    (``ca`` must be given), otherwise at its own URL, trusting ``ca`` when it serves TLS."""
    if ca is None:
        if proxy:
            raise ValueError("the intercepting proxy needs the mock's CA")
        yield Reach(server.url)
        return
    trust = trust_environ(ca.ensure(), ca.bundle())
    if not proxy:
        yield Reach(server.url, trust)
        return
    upstream_ca = ca.cert_path if server.url.startswith("https://") else None
    with intercepting(server, ca.folder.parent, upstream_ca=upstream_ca) as running:
        yield Reach(LIVE_BASE_URL, {**trust, **proxy_environ(running.url)})


@contextlib.contextmanager
def environment(changes: Mapping[str, str]) -> Iterator[None]:
    """``os.environ`` with ``changes`` for the duration, then as it was (clients in this process
    read the proxy and CA variables when they are created, so they must be set while the suite runs)."""
    saved = {name: os.environ.get(name) for name in changes}
    os.environ.update(changes)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
