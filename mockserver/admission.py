"""What every API request goes through before its handler: size, key, spec.

Order follows the live API: an oversized body is refused before anything else
reads it, a missing key is a 401 whatever the body says, and only then is the
request validated against the bundled spec.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Request, g
from werkzeug.wsgi import LimitedStream

from mockserver.auth import authenticate, fingerprint
from mockserver.errors import BadRequest, PayloadTooLarge
from mockserver.services import Services
from mockserver.spec import RequestInvalid

#: An oversized body is read and thrown away up to this size, so the client sees
#: the 413 instead of a reset connection; beyond it the connection is closed.
DRAIN_LIMIT = 64 * 1024 * 1024
_CHUNK = 64 * 1024


@dataclass(frozen=True)
class ApiCall:
    """An admitted API request: who sent it and what it asks for."""

    operation_id: str
    key_fingerprint: str
    body: dict[str, Any]
    path: dict[str, Any]


def admit(request: Request, services: Services) -> ApiCall:
    """Check size, key and spec; the admitted call, or an :class:`ApiError`."""
    limit = services.config.max_body_bytes
    if request.content_length is not None and request.content_length > limit:
        _drain(request)
        raise PayloadTooLarge(headers={} if request.content_length <= DRAIN_LIMIT else {"Connection": "close"})
    key = authenticate(request.headers.get("Authorization"), services.config.api_keys)
    try:
        valid = services.spec.validate_request(request)
    except RequestInvalid as exc:
        raise BadRequest(exc.errors) from exc
    call = ApiCall(
        operation_id=valid.operation_id,
        key_fingerprint=fingerprint(key),
        body=dict(valid.body),
        path=dict(valid.path),
    )
    g.api_call = call
    return call


def current_call() -> ApiCall:
    """The call admitted for the current request."""
    call: ApiCall = g.api_call
    return call


def _drain(request: Request) -> None:
    length = request.content_length or 0
    if length > DRAIN_LIMIT:
        return
    stream = LimitedStream(request.environ["wsgi.input"], length)
    while stream.read(_CHUNK):
        pass
