"""``create_app(config)``: the Flask app, wired once; errors are mapped here and only here."""

from __future__ import annotations

import logging
import time
import uuid
import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING

from flask import Flask, Request, Response, g, request
from werkzeug.exceptions import HTTPException
from werkzeug.exceptions import MethodNotAllowed as WerkzeugMethodNotAllowed
from werkzeug.wrappers import Response as BaseResponse

from mockserver.control.local import MockControl
from mockserver.errors import (
    ApiError,
    BadRequest,
    ConfigError,
    InternalError,
    MethodNotAllowed,
    PayloadTooLarge,
    RouteNotFound,
    ServiceUnavailable,
    StoreError,
    StoreFull,
)
from mockserver.imaging.upscaler import Upscaler
from mockserver.openapi import Spec
from mockserver.pipeline import credits
from mockserver.pipeline.exchange import Exchange
from mockserver.pipeline.faults import TransportFault
from mockserver.pipeline.journal import record_for
from mockserver.services import EXTENSION_KEY, Services, services_of
from mockserver.settings.config import Config
from mockserver.settings.runtime import RuntimeSettings
from mockserver.store import Store, open_store
from mockserver.web.admin_guard import admit_admin
from mockserver.web.admission import admit
from mockserver.web.browser_guard import check_host, cross_site
from mockserver.web.current import current_services
from mockserver.web.recording import record, replay
from mockserver.web.request_target import CanonicalPaths, encoded_slash
from mockserver.web.responses import json_response
from mockserver.web.routes import API_BLUEPRINTS, account, admin, legacy, meta, results, ui, upscale
from mockserver.web.transport_faults import client_socket, reset_connection, truncated
from mockserver.web.url_rules import LazyBuilderRule

if TYPE_CHECKING:
    from mockserver.recording import Recorder

log = logging.getLogger("stability_mock")


def create_app(
    config: Config | None = None,
    *,
    store: Store | None = None,
    clock: Callable[[], float] | None = None,
    sleep: Callable[[float], None] | None = None,
    recorder: Recorder | None = None,
) -> Flask:
    """Build the mock server app.

    Args:
        config: behaviour and limits; defaults to :meth:`Config.from_env`.
        store: shared state; defaults to the one ``config.store_url`` names, which the app
            closes when it is collected (or by ``services_of(app).close()``). A store passed
            in stays open: it is the caller's to close.
        clock: seconds since the epoch; tests pass their own to move time.
        sleep: holds an answer for the timing preset; tests pass their own to see the waits.
        recorder: ``stability-mock record``: every API call is passed to its upstream and written
            to its cassette instead of being answered by the mock.

    Example:
        >>> app = create_app(Config(store="memory://"))
    """
    config = config or Config.from_env()
    try:
        RuntimeSettings.defaults(config).check()
    except ApiError as exc:
        raise ConfigError("; ".join(exc.errors)) from exc
    app = Flask("mockserver")
    # Each route's url_for builder is written on first use, not here (~20 ms of a start).
    app.url_rule_class = LazyBuilderRule
    # Routed on the path the proxy's admin guard judges, whatever the server decoded.
    app.wsgi_app = CanonicalPaths(app.wsgi_app)  # type: ignore[method-assign]
    # Werkzeug refuses bodies over this while reading, which covers chunked
    # uploads that announce no length; announced lengths are refused earlier.
    app.config["MAX_CONTENT_LENGTH"] = config.max_body_bytes
    app.config["MAX_FORM_MEMORY_SIZE"] = config.max_body_bytes
    services = Services(
        config=config,
        # Repeated requests skip openapi-core; their verdicts take a quarter of the render cache's bound.
        spec=Spec.for_profile(
            config.profile, max_body_bytes=config.max_body_bytes, verdict_cache_bytes=config.render_cache_bytes // 4
        ),
        store=store or open_store(config.store_url),
        upscaler=Upscaler(config),
        clock=clock or time.time,
        sleep=time.sleep if sleep is None else sleep,
        owns_store=store is None,
        recorder=recorder,
    )
    app.extensions[EXTENSION_KEY] = services
    # The app's threads and connections end with it: when it is collected, or at exit.
    weakref.finalize(app, services.close)
    for blueprint in (upscale.bp, legacy.bp, results.bp, account.bp, meta.bp, admin.bp, ui.bp):
        app.register_blueprint(blueprint)
    app.before_request(_before)
    app.after_request(_after)
    app.register_error_handler(Exception, _error_response)
    cassette = config.replay
    if config.scenario is not None:
        # Imported only here: checking a scenario file takes jsonschema and openapi-core,
        # which a start without one does not otherwise import (see mockserver.openapi.engine).
        from mockserver.control.scenario import load_scenario, replay_folder

        scenario = load_scenario(config.scenario)
        try:
            MockControl(services_of(app)).apply_scenario(scenario)
        except ApiError as exc:
            raise ConfigError(f"scenario {config.scenario}: " + "; ".join(exc.errors)) from exc
        # ``--replay`` wins over the file's, as every option does.
        cassette = cassette or replay_folder(scenario, config.scenario)
    if cassette is not None:
        from mockserver.recording import Replayer, load_cassette

        services.replayer = Replayer(load_cassette(cassette))
    return app


def _before() -> BaseResponse | None:
    # The real objects behind Flask's proxies, looked up once: each proxy access is a
    # context-variable lookup, and a poll made some forty of them.
    call_globals, incoming, shared = g._get_current_object(), _incoming(), current_services()
    call_globals.request_id = uuid.uuid4().hex
    # Before anything else reads the request: a rebinding page's Host gets nothing, not even a 404.
    check_host(incoming, shared.config)
    refused_path = encoded_slash(incoming.environ)
    if refused_path is not None:
        raise RouteNotFound([refused_path])
    shared.sweeper.ensure_running(shared)
    # Before the exchange exists: a browser opening / is a person, not an API call to journal.
    dashboard = ui.redirect_browser(incoming)
    if dashboard is not None:
        return dashboard
    blueprint = incoming.blueprint
    if _is_api_traffic(blueprint):
        # The one record of this call; each stage below fills in its part of it.
        call_globals.exchange = Exchange(request_id=call_globals.request_id, started=time.perf_counter())
    if shared.recorder is not None and _is_api_traffic(blueprint):
        return record(incoming, shared, shared.recorder, call_globals.exchange)
    if shared.replayer is not None and blueprint in API_BLUEPRINTS:
        replayed = replay(incoming, shared, shared.replayer, call_globals.exchange)
        if replayed is not None:
            return replayed
    if blueprint in API_BLUEPRINTS:
        admit(incoming, shared, call_globals.exchange)
    elif blueprint == admin.bp.name:
        admit_admin(incoming, shared)
    return None


def _incoming() -> Request:
    """The request behind Flask's proxy, so later reads skip the proxy's context lookup."""
    real: Request = request._get_current_object()  # type: ignore[attr-defined]
    return real


def _is_api_traffic(blueprint: str | None) -> bool:
    """Everything but the mock's own endpoints (the dashboard's files too) is journaled, unknown paths included."""
    return blueprint not in (admin.bp.name, meta.bp.name, ui.bp.name)


def _exchange() -> Exchange | None:
    """This call's record, if it is API traffic that got as far as ``_before``."""
    found: Exchange | None = g.get("exchange")
    return found


def _after(response: Response) -> Response:
    call_globals = g._get_current_object()
    response.headers["x-request-id"] = call_globals.get("request_id") or uuid.uuid4().hex
    exchange: Exchange | None = call_globals.get("exchange")
    if exchange is None:
        return response
    incoming = _incoming()
    if exchange.fault is not None and exchange.fault.transport == "truncate" and response.status_code < 400:
        response = truncated(response, incoming.environ)
    exchange.answer = {"content_type": response.content_type, "bytes": response.calculate_content_length()}
    if not exchange.settled:
        _settle(exchange, response.status_code, incoming, response.headers.get("Retry-After"))
    return response


def _settle(exchange: Exchange, status: int, incoming: Request, retry_after: str | None = None) -> None:
    """Refund a failed call's charge and journal the call, in the shared store, once."""
    exchange.settled = True
    try:
        _refund_and_journal(exchange, status, incoming, retry_after)
    except StoreError as exc:
        # The answer already says what happened (often this very 503); a store
        # that fails again here must not turn it into a 500.
        log.error("could not refund or journal %s %s: %s", incoming.method, incoming.path, exc)


def _refund_and_journal(exchange: Exchange, status: int, incoming: Request, retry_after: str | None) -> None:
    shared = current_services()
    settings = exchange.settings or shared.settings()
    if (status >= 400 or exchange.connection_dropped) and exchange.charged and exchange.key_fingerprint:
        credits.refund(shared.store, settings, exchange.key_fingerprint, exchange.charged)
    if cross_site(incoming, shared.config) is not None:
        # A page elsewhere must not push the developer's own records out of the journal.
        return
    record = record_for(
        exchange,
        method=incoming.method,
        path=incoming.path,
        headers=incoming.headers.items(),
        path_id=(incoming.view_args or {}).get("id"),
        status=None if exchange.connection_dropped else status,
        now=shared.clock(),
        duration_seconds=time.perf_counter() - exchange.started,
        retry_after=retry_after,
    )
    shared.store.append_record(record, settings.journal_size)
    shared.thumbnails.submit(shared.store, exchange, record, settings.journal_size)


def _error_response(exc: Exception) -> Response:
    """The single exception → response table's edge: every error leaves in the API's shape."""
    exchange = _exchange()
    if isinstance(exc, TransportFault):
        exc = _perform(exc, exchange)
    error = _as_api_error(exc)
    if exchange is not None and isinstance(error, BadRequest) and not error.staged:
        # Refused for what it sent (an image, an Accept header) after the spec passed it:
        # the journal's verdict agrees with the 400 it records.
        exchange.refused(error.errors)
    response = json_response(error.body(g.get("request_id"), with_message=_with_message()), status=error.status)
    response.headers.update(error.headers)
    return response


def _with_message() -> bool:
    """Whether an error body carries ``message``: always in the mock's own API, as the profile says in the other."""
    return not _is_api_traffic(request.blueprint) or current_services().traits.error_message


def _perform(fault: TransportFault, exchange: Exchange | None) -> Exception:
    """Cut the connection as staged; the answer built after it is never delivered.

    The call is journaled before the cut: a client that reads the journal as
    soon as its connection fails must find the call there.
    """
    if fault.transport == "stall":
        time.sleep(fault.stall_seconds)
    if client_socket(request.environ) is not None:
        if exchange is not None:
            exchange.connection_dropped = True
            _settle(exchange, 500, _incoming())
        reset_connection(request.environ)
    return InternalError(["transport: a staged transport fault needs a real server (no client socket here)"])


def _as_api_error(exc: Exception) -> ApiError:
    if isinstance(exc, ApiError):
        return exc
    if isinstance(exc, StoreFull):
        # The store works and is doing its job: a bound was reached, not a failure.
        log.warning("refused a new job: store %s", exc)
        return ServiceUnavailable([f"store: {exc}"])
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
        allowed = sorted(set(getattr(exc, "valid_methods", None) or []) - {"HEAD", "OPTIONS"})
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
