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

from flask import Request, g

from mockserver.auth import fingerprint, key_from_header
from mockserver.errors import BadRequest, Unauthorized
from mockserver.imaging import probe


def record_for(request: Request, status: int | None, now: float, duration_seconds: float) -> dict[str, Any]:
    """The journal record of one API request and its response."""
    # One lookup of the request's ``g`` instead of one per field: this runs on every call.
    state: dict[str, Any] = vars(g)
    verdict = state.get("validation_errors")
    fault = state.get("fault")
    return {
        "time": datetime.fromtimestamp(now, UTC).isoformat(timespec="milliseconds"),
        "timestamp": now,
        "request_id": state.get("request_id"),
        "method": request.method,
        "path": request.path,
        "operation": state.get("operation_id"),
        "status": status,
        "valid": None if verdict is None else not verdict,
        "errors": list(verdict or ()),
        "headers": redacted_headers(request.headers),
        "fields": dict(state.get("form_text") or {}),
        "image": image_summary((state.get("form_files") or {}).get("image")),
        "generation_id": state.get("generation_id") or (request.view_args or {}).get("id"),
        "key": state.get("key_fingerprint") or _key_or_none(request),
        "fault": fault.id if fault else None,
        "delivered": state.get("delivered"),
        "duration_ms": round(duration_seconds * 1000, 3),
    }


def redacted_headers(headers: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Request headers, lower-cased, with the API key replaced by its fingerprint."""
    redacted = {}
    for name, value in headers:
        lower = name.lower()
        if lower == "authorization":
            scheme = "Bearer " if value.strip().lower().startswith("bearer") else ""
            redacted[lower] = scheme + (_key_or_none_from(value) or "<empty>")
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


def _key_or_none(request: Request) -> str | None:
    return _key_or_none_from(request.headers.get("Authorization"))


def _key_or_none_from(header: str | None) -> str | None:
    try:
        return fingerprint(key_from_header(header))
    except Unauthorized:
        return None
