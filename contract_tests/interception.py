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
        bundle, ca = str(self.ca_bundle), str(self.ca_cert)
        return {
            "HTTPS_PROXY": self.proxy_url,
            "https_proxy": self.proxy_url,
            "NO_PROXY": NO_PROXY,
            "no_proxy": NO_PROXY,
            "REQUESTS_CA_BUNDLE": bundle,
            "SSL_CERT_FILE": bundle,
            "CURL_CA_BUNDLE": bundle,
            "NODE_EXTRA_CA_CERTS": ca,
        }


@contextlib.contextmanager
def intercepting(server: LiveServer, ca_dir: Path) -> Iterator[InterceptingProxy]:
    """A proxy on a free loopback port answering ``api.stability.ai`` with ``server``."""
    ca = LocalCA(ca_dir)
    settings = ProxySettings(
        listen_host="127.0.0.1", listen_port=0, upstream_host=server.host, upstream_port=server.port, cert=ca.leaf()
    )
    with InterceptingProxy(settings) as proxy:
        yield proxy
