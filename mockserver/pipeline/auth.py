"""API keys as live clients send them: ``Bearer <key>`` or the bare key."""

from __future__ import annotations

import hashlib
from collections.abc import Collection

from mockserver.errors import Unauthorized


def key_from_header(value: str | None) -> str:
    """The API key in an ``Authorization`` header value, or :class:`Unauthorized`."""
    text = (value or "").strip()
    scheme, _, rest = text.partition(" ")
    key = rest.strip() if scheme.lower() == "bearer" else text
    if not key:
        raise Unauthorized()
    return key


def authenticate(header: str | None, accepted: Collection[str]) -> str:
    """The caller's key, checked against ``accepted`` (empty: any non-empty key)."""
    key = key_from_header(header)
    if accepted and key not in accepted:
        raise Unauthorized(["authorization: the API key is not valid"])
    return key


def fingerprint(key: str) -> str:
    """A short, stable, non-reversible name for a key: safe for logs and the journal."""
    return "key_" + hashlib.sha256(key.encode("utf-8")).hexdigest()[:12]
