"""Which TLS 1.2 suites a server takes: a client that offers only some of them, and what it agreed on."""

from __future__ import annotations

import socket
import ssl
from pathlib import Path

#: The CBC suites an ECDSA server could pick under TLS 1.2 (what OpenSSL's defaults offered).
CBC_ONLY = "ECDHE-ECDSA-AES128-SHA256:ECDHE-ECDSA-AES256-SHA384:ECDHE-ECDSA-AES128-SHA:ECDHE-ECDSA-AES256-SHA"
AEAD_ONLY = "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305"


def tls12_suite(sock: socket.socket, ca: Path, ciphers: str, host: str = "api.stability.ai") -> str | None:
    """The suite agreed on over ``sock`` by a TLS 1.2 client offering ``ciphers``; ``None``: no handshake."""
    context = ssl.create_default_context(cafile=str(ca))
    context.minimum_version = context.maximum_version = ssl.TLSVersion.TLSv1_2
    context.set_ciphers(f"{ciphers}:@SECLEVEL=0")
    with sock:
        try:
            with context.wrap_socket(sock, server_hostname=host) as tls:
                agreed = tls.cipher()
        except (ssl.SSLError, ConnectionResetError):
            return None
    return agreed[0] if agreed else None
