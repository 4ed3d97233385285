"""``create_app(config)``: the Flask app, wired once; errors are mapped here and only here."""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable

from flask import Flask, Response, g, request
from werkzeug.exceptions import HTTPException
from werkzeug.exceptions import MethodNotAllowed as WerkzeugMethodNotAllowed

from mockserver.admission import admit
from mockserver.config import Config
from mockserver.errors import (
    ApiError,
    BadRequest,
    InternalError,
    MethodNotAllowed,
    PayloadTooLarge,
    RouteNotFound,
    ServiceUnavailable,
    StoreError,
)
from mockserver.generation import Upscaler
from mockserver.responses import json_response
from mockserver.routes import API_BLUEPRINTS, meta, results, upscale
from mockserver.services import EXTENSION_KEY, Services
from mockserver.spec import Spec
from mockserver.store import Store, open_store

log = logging.getLogger("stability_mock")


def create_app(
    config: Config | None = None,
    *,
    store: Store | None = None,
    clock: Callable[[], float] | None = None,
) -> Flask:
    """Build the mock server app.

    Args:
        config: behaviour and limits; defaults to :meth:`Config.from_env`.
        store: shared state; defaults to the one ``config.store_url`` names.
        clock: seconds since the epoch; tests pass their own to move time.

    Example:
        >>> app = create_app(Config(store="memory://"))
    """
    config = config or Config.from_env()
    app = Flask("mockserver")
    # Werkzeug refuses bodies over this while reading, which covers chunked
    # uploads that announce no length; announced lengths are refused earlier.
    app.config["MAX_CONTENT_LENGTH"] = config.max_body_bytes
    app.config["MAX_FORM_MEMORY_SIZE"] = config.max_body_bytes
    app.extensions[EXTENSION_KEY] = Services(
        config=config,
        spec=Spec.bundled(max_body_bytes=config.max_body_bytes),
        admin_spec=Spec.bundled("admin.yml"),
        store=store or open_store(config.store_url),
        upscaler=Upscaler(config),
        clock=clock or time.time,
    )
    for blueprint in (upscale.bp, results.bp, meta.bp):
        app.register_blueprint(blueprint)
    app.before_request(_before)
    app.after_request(_after)
    app.register_error_handler(Exception, _error_response)
    return app


def _before() -> None:
    g.request_id = uuid.uuid4().hex
    if request.blueprint in API_BLUEPRINTS:
        from mockserver.services import services

        admit(request, services())


def _after(response: Response) -> Response:
    response.headers["x-request-id"] = g.get("request_id") or uuid.uuid4().hex
    return response


def _error_response(exc: Exception) -> Response:
    """The single exception → response table's edge: every error leaves in the API's shape."""
    error = _as_api_error(exc)
    response = json_response(error.body(g.get("request_id")), status=error.status)
    response.headers.update(error.headers)
    return response


def _as_api_error(exc: Exception) -> ApiError:
    if isinstance(exc, ApiError):
        return exc
    if isinstance(exc, StoreError):
        log.error("store unavailable: %s", exc)
        return ServiceUnavailable([f"store: {exc}"])
    if isinstance(exc, HTTPException):
        return _from_http_exception(exc)
    log.exception("unexpected error while handling %s %s", request.method, request.path)
    return InternalError()


def _from_http_exception(exc: HTTPException) -> ApiError:
    code = exc.code or 500
    if code == 404:
        return RouteNotFound([f"path: no endpoint at {request.path}"])
    if code == 405:
        allowed = sorted(getattr(exc, "valid_methods", None) or [])
        if isinstance(exc, WerkzeugMethodNotAllowed) and allowed:
            return MethodNotAllowed(
                [f"method: {request.method} is not allowed here; use {', '.join(allowed)}"],
                headers={"Allow": ", ".join(allowed)},
            )
        return MethodNotAllowed()
    if code == 413:
        return PayloadTooLarge()
    if 400 <= code < 500:
        return BadRequest([f"request: {exc.description or exc.name}"])
    return InternalError()
