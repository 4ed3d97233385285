"""The request journal: what each API call sent and got, redacted and bounded.

Records are plain JSON-able dicts so every store keeps them the same way and
the admin API can answer them as they are. The image is never kept: its
sha256, format, size and byte count say enough to tell two uploads apart.

Records are bounded in bytes, whatever a client sends: every text (a field, a
header, an error, the path) is clipped to ``TEXT_LIMIT`` characters with a marker
saying how long it was, names to ``NAME_LIMIT``, each list or mapping to
``ENTRY_LIMIT`` entries, and a record that still serializes to more than
``RECORD_LIMIT_BYTES`` is clipped harder (see :func:`bounded`).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from mockserver.errors import BadRequest, Unauthorized
from mockserver.imaging import probe
from mockserver.models import CUTTING_FAULTS
from mockserver.pipeline.auth import fingerprint, key_from_header
from mockserver.pipeline.exchange import Exchange


# `make mutate` scores only the clipping: every call journals, so a mutant of the rest runs every test.
# pragma: no mutate start
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
    retry_after: str | None = None,
) -> dict[str, Any]:
    """The journal record of one API call: its :class:`Exchange`, plus what the HTTP edge saw.

    ``status`` is ``None`` when the connection was cut before an answer;
    ``path_id`` is the generation id in a poll's path; ``retry_after`` the answer's ``Retry-After``.
    """
    form = exchange.form
    headers = list(headers)
    authorization = _authorization(headers)
    # The key was fingerprinted when the call was admitted: the record reuses it rather than asking auth again.
    known = {authorization: exchange.key_fingerprint} if authorization and exchange.key_fingerprint else {}
    return bounded(
        {
            "time": datetime.fromtimestamp(now, UTC).isoformat(timespec="milliseconds"),
            "timestamp": now,
            "request_id": exchange.request_id,
            "method": method,
            "path": path,
            "operation": exchange.operation_id,
            "status": status,
            "valid": exchange.valid,
            "errors": list(exchange.errors or ()),
            "headers": redacted_headers(headers, known),
            "fields": dict(form.text) if form is not None else {},
            "image": image_summary(form.files.get("image") if form is not None else None),
            "generation_id": exchange.generation_id or path_id,
            "key": exchange.key_fingerprint or _key_or_none_from(authorization),
            "fault": exchange.fault.id if exchange.fault else None,
            # What the client met, not what was staged: behaviour coverage reads these three.
            "transport": _transport_fired(exchange, status),
            "retry_after": retry_after,
            "job": exchange.job_plan.as_job() if exchange.job_plan else None,
            "delivered": exchange.delivered_json(),
            "duration_ms": round(duration_seconds * 1000, 3),
            **({"response": exchange.answer} if exchange.answer else {}),
            **({"recording": exchange.recording} if exchange.recording else {}),
        }
    )


def _transport_fired(exchange: Exchange, status: int | None) -> str | None:
    """The staged transport fault that acted on this call: a cut leaves no status, a truncation cuts a success."""
    transport = exchange.fault.transport if exchange.fault else None
    if transport is None:
        return None
    fired = status is None if transport in CUTTING_FAULTS else status is not None and status < 400
    return transport if fired else None


# pragma: no mutate end
#: Characters of a text kept in a record (a prompt of 9.5 MB keeps its first 1,000).
TEXT_LIMIT = 1000
#: Characters of a field or header name kept.
NAME_LIMIT = 100
#: Fields, headers or errors kept per record.
ENTRY_LIMIT = 64
#: Serialized size past which a record is clipped harder: at most this many bytes are kept per call.
RECORD_LIMIT_BYTES = 32 * 1024
#: The parts of a record a client fills with text of its choosing.
_CLIENT_TEXT = ("path", "errors", "headers", "fields", "generation_id")


def clipped(text: str, limit: int = TEXT_LIMIT) -> str:
    """``text``, or its first ``limit`` characters and how long it was."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… ({len(text):,} characters)"


def bounded(record: dict[str, Any]) -> dict[str, Any]:
    """The record with every client-chosen text clipped, so it fits ``RECORD_LIMIT_BYTES``.

    Normal records are far below the limit and only pay for the length checks; one
    that is still too big once clipped (many long non-ASCII values, each escaped
    to several bytes) keeps a tenth of each text, and past that only a note.
    """
    record = _clipped_parts(record, TEXT_LIMIT, NAME_LIMIT, ENTRY_LIMIT)
    if _rough_size(record) * 12 <= RECORD_LIMIT_BYTES or len(json.dumps(record)) <= RECORD_LIMIT_BYTES:
        return record
    record = _clipped_parts(record, TEXT_LIMIT // 10, NAME_LIMIT // 2, ENTRY_LIMIT // 4)
    if len(json.dumps(record)) <= RECORD_LIMIT_BYTES:
        return record
    note = f"dropped: more than {RECORD_LIMIT_BYTES:,} bytes once clipped"
    return {
        **record,
        "path": clipped(record["path"], 100),
        "errors": [note],
        "headers": {},
        "fields": {"…": note},
        "generation_id": None,
    }


def _clipped_parts(record: dict[str, Any], text: int, name: int, entries: int) -> dict[str, Any]:
    clipped_record = dict(record)
    for part in _CLIENT_TEXT:
        value = record.get(part)
        if isinstance(value, str):
            clipped_record[part] = clipped(value, text)
        elif isinstance(value, list):
            clipped_record[part] = _clipped_list(value, text, entries)
        elif isinstance(value, dict):
            clipped_record[part] = _clipped_mapping(value, text, name, entries)
    return clipped_record


def _clipped_list(values: list[Any], text: int, entries: int) -> list[Any]:
    kept = [clipped(str(value), text) for value in values[:entries]]
    if len(values) > entries:
        kept.append(f"… ({len(values) - entries:,} more)")
    return kept


def _clipped_mapping(values: dict[str, Any], text: int, name: int, entries: int) -> dict[str, Any]:
    kept = {clipped(str(key), name): clipped(str(value), text) for key, value in list(values.items())[:entries]}
    if len(values) > entries:
        kept["…"] = f"{len(values) - entries:,} more"
    return kept


def _rough_size(record: dict[str, Any]) -> int:
    """Characters of the client's text in a clipped record (each serializes to at most 12 bytes)."""
    size = 0
    for part in _CLIENT_TEXT:
        value = record.get(part)
        if isinstance(value, str):
            size += len(value)
        elif isinstance(value, list):
            size += sum(len(item) for item in value)
        elif isinstance(value, dict):
            size += sum(len(key) + len(item) for key, item in value.items())
    return size + 1000


# pragma: no mutate start
#: Headers that carry secrets other than the API key: kept in the journal only as ``<redacted>``.
SECRET_HEADERS = frozenset({"x-admin-token", "cookie", "proxy-authorization", "x-api-key"})
REDACTED = "<redacted>"


def redacted_headers(
    headers: Iterable[tuple[str, str]], fingerprints: Mapping[str, str] | None = None
) -> dict[str, str]:
    """Request headers, lower-cased, with the API key replaced by its fingerprint and other secrets masked.

    The journal is read by whoever reaches the admin API, and shown in CI
    artifacts: an admin token, a cookie or proxy credentials must not be in it.
    ``fingerprints`` maps ``Authorization`` values whose key is fingerprinted already.
    """
    redacted = {}
    for name, value in headers:
        lower = name.lower()
        if lower == "authorization":
            scheme = "Bearer " if value.strip().lower().startswith("bearer") else ""
            found = fingerprints.get(value) if fingerprints else None
            redacted[lower] = scheme + (found or _key_or_none_from(value) or "<empty>")
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


# pragma: no mutate end
