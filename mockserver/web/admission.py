"""What every API request goes through before its handler, one stage after the other.

Each stage is its own module and is asked once, in the live API's order: an
oversized body is refused before anything reads it; the router names the
operation (404, 405); the body is read; one store round trip gives the settings
in force; the spec gives its verdict (kept for the journal even when another
error wins); then the key: production judges the fields first, so a bad request
with a missing or wrong key is the 400 with every field's line, and only a good
one is a 401; the rate limit counts every keyed call, valid or not; then an
invalid call is a 400; staged
faults and ``Prefer: code=`` fire; content rules judge the prompt; credits are
taken. What each stage learns goes on the call's :class:`Exchange`.
"""

from __future__ import annotations

import time

from flask import Request
from werkzeug.exceptions import ClientDisconnected, HTTPException, RequestEntityTooLarge
from werkzeug.wsgi import LimitedStream

from mockserver.errors import BadRequest, PayloadTooLarge, Unauthorized
from mockserver.models import Fault
from mockserver.openapi import RequestInvalid, Route, ValidRequest
from mockserver.pipeline import content_rules, credits, faults, rate_limit
from mockserver.pipeline.auth import authenticate, fingerprint
from mockserver.pipeline.exchange import ApiCall, Exchange
from mockserver.services import Services
from mockserver.settings.runtime import RuntimeSettings

#: An oversized body is read and thrown away up to this size, so the client sees
#: the 413 instead of a reset connection; beyond it the connection is closed.
DRAIN_LIMIT = 64 * 1024 * 1024
_CHUNK = 64 * 1024


def admit(request: Request, services: Services, exchange: Exchange) -> ApiCall:
    """Run every stage, recording what each learns on ``exchange``; the admitted call,
    or an :class:`ApiError` (or transport fault)."""
    limit = services.config.max_body_bytes
    refuse_announced_past(request, limit)
    route = services.spec.router.route(request)
    exchange.operation_id = route.operation_id
    read_body(request, limit)
    settings, exchange.faults_queued = services.state()
    exchange.settings = settings
    valid = _verdict(request, services, route, exchange)
    key = exchange.key_fingerprint = _key(request, services, exchange)
    rate_limit.enforce(services.store, settings, key, services.clock())
    if valid is None:
        raise BadRequest(exchange.errors or [])
    fault = _stage_fault(request, services, settings, route, exchange)
    filtered = content_rules.verdict(settings, valid.body) if route.operation_id in credits.COSTS else False
    exchange.charged = credits.charge(services.store, settings, key, route.operation_id)
    call = exchange.call = ApiCall(
        route=route,
        key_fingerprint=key,
        body=dict(valid.body),
        path=dict(valid.path),
        settings=settings,
        fault=fault,
        content_filtered=filtered,
    )
    return call


def _key(request: Request, services: Services, exchange: Exchange) -> str:
    """The caller's key fingerprint; a 401 only for a request whose fields passed (a bad one is a 400 first)."""
    try:
        return fingerprint(authenticate(request.headers.get("Authorization"), services.config.api_keys))
    except Unauthorized:
        if exchange.errors:
            raise BadRequest(exchange.errors) from None
        raise


def _verdict(request: Request, services: Services, route: Route, exchange: Exchange) -> ValidRequest | None:
    """The spec's verdict, noted on the exchange; ``None`` for an invalid request (its 400 waits for the rate limit)."""
    try:
        valid = services.spec.validate_request(request, route)
    except RequestInvalid as exc:
        exchange.errors, exchange.form = exc.errors, exc.form
        return None
    exchange.errors, exchange.form = [], valid.form
    return valid


def _stage_fault(
    request: Request, services: Services, settings: RuntimeSettings, route: Route, exchange: Exchange
) -> Fault | None:
    """Carry out what staging decided for this call: note the fault, wait, answer instead if told to."""
    staged = faults.for_call(
        services.store,
        settings,
        route.operation_id,
        route.statuses,
        prefer=request.headers.get("Prefer"),
        request_text=request.method + request.path,
        body=request.get_data(),
        queued=exchange.faults_queued,
        key=exchange.key_fingerprint,
    )
    exchange.fault = staged.fault
    exchange.held_seconds = staged.delay_seconds
    if staged.delay_seconds:
        time.sleep(staged.delay_seconds)
    if staged.replacement is not None:
        raise staged.replacement
    return staged.fault


#: The answer to a body whose framing the server cannot undo.
UNREADABLE_BODY = "body: could not be read (malformed chunked transfer-encoding, or the body was cut short)"


def refuse_announced_past(request: Request, limit: int, too_large: str | None = None) -> None:
    """A 413 before reading a body whose ``Content-Length`` is past ``limit`` (read and thrown away if small)."""
    if request.content_length is not None and request.content_length > limit:
        _drain(request)
        raise PayloadTooLarge(
            message=too_large, headers={} if request.content_length <= DRAIN_LIMIT else {"Connection": "close"}
        )


def read_body(request: Request, limit: int, too_large: str | None = None) -> None:
    """Read (and cache) the body now, so a chunked upload that announced no length
    but runs past the limit is a 413 here rather than a silently cut body later.

    Werkzeug stops a length-less stream at the limit without complaint; one more
    read past it is what raises. A chunked body the server's reader cannot undo
    (a bad chunk size, a missing chunk terminator, a body cut mid-chunk) raises
    the server's own exception type (gunicorn's ``ParseException`` family or
    ``NoMoreData``, Werkzeug's ``OSError``) from inside ``get_data``: nothing
    else runs here, so any such error is the client's framing, answered 400.
    """
    try:
        data = request.get_data()
        if request.content_length is None and len(data) >= limit:
            request.stream.read(1)
    except RequestEntityTooLarge as exc:
        raise PayloadTooLarge(message=too_large, headers={"Connection": "close"}) from exc
    except ClientDisconnected as exc:  # fewer bytes than announced, then the end
        raise BadRequest([UNREADABLE_BODY], headers={"Connection": "close"}) from exc
    except HTTPException:
        raise
    except Exception as exc:
        raise BadRequest([UNREADABLE_BODY], headers={"Connection": "close"}) from exc


def _drain(request: Request) -> None:
    length = request.content_length or 0
    if length > DRAIN_LIMIT:
        return
    stream = LimitedStream(request.environ["wsgi.input"], length)
    while stream.read(_CHUNK):
        pass
