"""The request journal: what each API call sent and got, redacted and bounded.

Records are plain JSON-able dicts so every store keeps them the same way and
the admin API can answer them as they are. The image is never kept: its
sha256, format, size and byte count say enough to tell two uploads apart.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from mockserver.auth import fingerprint, key_from_header
from mockserver.errors import BadRequest, Unauthorized
from mockserver.exchange import Exchange
from mockserver.imaging import probe


def record_for(
    exchange: Exchange,
    *,
    method: str,
    path: str,
    headers: Iterable[tuple[str, str]],
    path_id: str | None,
    status: int | None,
    now: float,
    duration_seconds: float,
) -> dict[str, Any]:
    """The journal record of one API call: its :class:`Exchange`, plus what the HTTP edge saw.

    ``status`` is ``None`` when the connection was cut before an answer;
    ``path_id`` is the generation id in a poll's path.
    """
    form = exchange.form
    headers = list(headers)
    return {
        "time": datetime.fromtimestamp(now, UTC).isoformat(timespec="milliseconds"),
        "timestamp": now,
        "request_id": exchange.request_id,
        "method": method,
        "path": path,
        "operation": exchange.operation_id,
        "status": status,
        "valid": exchange.valid,
        "errors": list(exchange.errors or ()),
        "headers": redacted_headers(headers),
        "fields": dict(form.text) if form is not None else {},
        "image": image_summary(form.files.get("image") if form is not None else None),
        "generation_id": exchange.generation_id or path_id,
        "key": exchange.key_fingerprint or _key_or_none_from(_authorization(headers)),
        "fault": exchange.fault.id if exchange.fault else None,
        "delivered": exchange.delivered_json(),
        "duration_ms": round(duration_seconds * 1000, 3),
    }


#: Headers that carry secrets other than the API key: kept in the journal only as ``<redacted>``.
SECRET_HEADERS = frozenset({"x-admin-token", "cookie", "proxy-authorization", "x-api-key"})
REDACTED = "<redacted>"


def redacted_headers(headers: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Request headers, lower-cased, with the API key replaced by its fingerprint and other secrets masked.

    The journal is read by whoever reaches the admin API, and shown in CI
    artifacts: an admin token, a cookie or proxy credentials must not be in it.
    """
    redacted = {}
    for name, value in headers:
        lower = name.lower()
        if lower == "authorization":
            scheme = "Bearer " if value.strip().lower().startswith("bearer") else ""
            redacted[lower] = scheme + (_key_or_none_from(value) or "<empty>")
        elif lower in SECRET_HEADERS:
            redacted[lower] = REDACTED
        else:
            redacted[lower] = value
    return redacted


def image_summary(data: bytes | None) -> dict[str, Any] | None:
    """sha256, format, width, height and byte size of an upload (format ``None`` if unreadable)."""
    if data is None:
        return None
    summary: dict[str, Any] = {
        "sha256": hashlib.sha256(data).hexdigest(),
        "bytes": len(data),
        "format": None,
        "width": None,
        "height": None,
    }
    with contextlib.suppress(BadRequest):
        summary["format"], summary["width"], summary["height"] = probe(data)
    return summary


def _authorization(headers: Iterable[tuple[str, str]]) -> str | None:
    return next((value for name, value in headers if name.lower() == "authorization"), None)


def _key_or_none_from(header: str | None) -> str | None:
    try:
        return fingerprint(key_from_header(header))
    except Unauthorized:
        return None
