"""A test's mock reached as ``https://api.stability.ai``: the proxy beside a :class:`LiveServer`.

The proxy runs in a thread of the test process; a gunicorn server runs it as a
child process instead (``mockserver.interception.process``).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from contract_tests.handle import StabilityMock
from contract_tests.server import LiveServer
from mockserver.interception.ca import LocalCA
from mockserver.interception.proxy import InterceptingProxy, ProxySettings

#: Loopback stays direct, so a test's own calls to the mock (and the admin API) skip the proxy.
NO_PROXY = "localhost,127.0.0.1,::1"
#: The mock's CA alone, for a client that takes a CA file as an option rather than from a variable.
CA_VARIABLE = "STABILITY_MOCK_CA_CERT"


@dataclass(frozen=True)
class InterceptedMock:
    """The test's mock, the proxy in front of it, and what a client must trust."""

    mock: StabilityMock
    proxy_url: str
    #: The mock's CA alone (for ``NODE_EXTRA_CA_CERTS``, which adds to Node's roots).
    ca_cert: Path
    #: Public roots plus the mock's CA (for variables that replace the roots: ``REQUESTS_CA_BUNDLE``…).
    ca_bundle: Path

    def environ(self) -> dict[str, str]:
        """The variables that point a process (this one or a child) at the proxy."""
        return {**proxy_environ(self.proxy_url), **trust_environ(self.ca_cert, self.ca_bundle)}


def trust_environ(ca_cert: Path, ca_bundle: Path) -> dict[str, str]:
    """Variables that make a process trust the mock's CA: the bundle (public roots plus the CA)
    where a variable replaces the roots, the CA alone where it adds to them (Node)."""
    bundle, ca = str(ca_bundle), str(ca_cert)
    return {
        "REQUESTS_CA_BUNDLE": bundle,
        "SSL_CERT_FILE": bundle,
        "CURL_CA_BUNDLE": bundle,
        "NODE_EXTRA_CA_CERTS": ca,
        CA_VARIABLE: ca,
    }


def proxy_environ(proxy_url: str) -> dict[str, str]:
    """Variables that send a process's HTTPS through ``proxy_url``; loopback stays direct."""
    return {"HTTPS_PROXY": proxy_url, "https_proxy": proxy_url, "NO_PROXY": NO_PROXY, "no_proxy": NO_PROXY}


@contextlib.contextmanager
def intercepting(server: LiveServer, ca_dir: Path, *, upstream_ca: Path | None = None) -> Iterator[InterceptingProxy]:
    """A proxy on a free loopback port answering ``api.stability.ai`` with ``server``
    (over TLS verified with ``upstream_ca`` when the server serves TLS)."""
    ca = LocalCA(ca_dir)
    settings = ProxySettings(
        listen_host="127.0.0.1",
        listen_port=0,
        upstream_host=server.host,
        upstream_port=server.port,
        cert=ca.leaf(),
        upstream_ca=upstream_ca,
    )
    with InterceptingProxy(settings) as proxy:
        yield proxy
