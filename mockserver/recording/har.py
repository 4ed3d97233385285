"""The journal as HAR 1.2 (http://www.softwareishard.com/blog/har-12-spec/), for browser dev tools and HAR tools.

Built from the journal's records, so a HAR holds what the journal holds and no
more: keys as their fingerprints, cookies and tokens as ``<redacted>``, images
as their digest and size (a HAR of a session of upscales stays small, and
shares nothing the dashboard does not show). What HAR has no field for (the
operation, the spec's verdict, a recording's source) goes in ``_``-prefixed
fields, which the format reserves for such additions.
"""

from __future__ import annotations

import importlib.metadata
from collections.abc import Iterable, Mapping
from http import HTTPStatus
from typing import Any

HAR_VERSION = "1.2"
_UNKNOWN = -1


def tool_version() -> str:
    """This package's version, as a HAR's creator or a cassette's recorder names it."""
    try:
        return importlib.metadata.version("stability-upscale-mock")
    except importlib.metadata.PackageNotFoundError:
        return "(not installed)"


def har_log(records: Iterable[Mapping[str, Any]], *, base_url: str) -> dict[str, Any]:
    """``{"log": ...}`` with one entry per record, oldest first; ``base_url`` is where the calls were sent."""
    return {
        "log": {
            "version": HAR_VERSION,
            "creator": {"name": "stability-mock", "version": tool_version()},
            "entries": [_entry(record, base_url.rstrip("/")) for record in records],
        }
    }


def _entry(record: Mapping[str, Any], base_url: str) -> dict[str, Any]:
    duration = float(record.get("duration_ms") or 0.0)
    entry: dict[str, Any] = {
        "startedDateTime": record["time"],
        "time": duration,
        "request": _request(record, base_url),
        "response": _response(record),
        "cache": {},
        # The journal times the whole call; HAR's parts are what the mock took to answer.
        "timings": {"send": 0, "wait": duration, "receive": 0},
        "_operation": record.get("operation"),
        "_valid": record.get("valid"),
        "_errors": list(record.get("errors") or ()),
        "_requestId": record.get("request_id"),
    }
    if record.get("recording"):
        entry["_recording"] = record["recording"]
    return entry


def _request(record: Mapping[str, Any], base_url: str) -> dict[str, Any]:
    headers: Mapping[str, str] = record.get("headers") or {}
    request: dict[str, Any] = {
        "method": record["method"],
        "url": base_url + record["path"],
        "httpVersion": "HTTP/1.1",
        "cookies": [],
        "headers": [{"name": name, "value": value} for name, value in headers.items()],
        "queryString": [],
        "headersSize": _UNKNOWN,
        "bodySize": _number(headers.get("content-length")),
    }
    fields: Mapping[str, str] = record.get("fields") or {}
    image = record.get("image")
    if fields or image:
        params = [{"name": name, "value": value} for name, value in fields.items()]
        if image:
            params.append(
                {
                    "name": "image",
                    "value": f"<{image['bytes']} bytes, sha256 {image['sha256']}>",
                    "contentType": f"image/{image['format']}" if image.get("format") else "application/octet-stream",
                }
            )
        mime = headers.get("content-type", "multipart/form-data")
        request["postData"] = {"mimeType": mime, "params": params, "text": ""}
    return request


def _response(record: Mapping[str, Any]) -> dict[str, Any]:
    status = record.get("status")
    answer: Mapping[str, Any] = record.get("response") or {}
    content_type = answer.get("content_type") or ""
    size = answer.get("bytes")
    response: dict[str, Any] = {
        # HAR's way of saying no answer came (the connection was cut): status 0.
        "status": status or 0,
        "statusText": _phrase(status),
        "httpVersion": "HTTP/1.1" if status else "",
        "cookies": [],
        "headers": [{"name": "Content-Type", "value": content_type}] if content_type else [],
        "content": {"size": size if isinstance(size, int) else 0, "mimeType": content_type},
        "redirectURL": "",
        "headersSize": _UNKNOWN,
        "bodySize": size if isinstance(size, int) else _UNKNOWN,
    }
    delivered = record.get("delivered")
    if delivered:
        response["content"]["comment"] = f"image sha256 {delivered['sha256']}, not kept by the journal"
    return response


def _phrase(status: int | None) -> str:
    if not status:
        return ""
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


def _number(text: str | None) -> int:
    return int(text) if text is not None and text.isdigit() else _UNKNOWN


__all__ = ["HAR_VERSION", "har_log", "tool_version"]
