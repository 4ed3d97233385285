"""The HTTP edge of record and replay: a Flask request in, the recorded or upstream answer out.

Both run in ``_before`` (:mod:`mockserver.web.app`) in place of admission, on
the call's :class:`Exchange`, so the journal records them like any call, marked
``recording.source``: ``recorded`` or ``replayed`` (``mock`` for a replay miss
the mock answered itself). What is forwarded, written and matched is decided in
:mod:`mockserver.recording`; this module only reads the request and builds the
response.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time

from flask import Request, Response

from mockserver.errors import ReplayMiss
from mockserver.openapi import RequestInvalid, Route
from mockserver.openapi.multipart import ParsedForm
from mockserver.pipeline.exchange import Exchange
from mockserver.pipeline.journal import ENTRY_LIMIT, clipped
from mockserver.recording.cassette import RecordedExchange, RecordedRequest
from mockserver.recording.matcher import Replayer
from mockserver.recording.recorder import Recorder, SentRequest, Verdict, delivered, first
from mockserver.services import Services
from mockserver.web.admission import read_body, refuse_announced_past

log = logging.getLogger("stability_mock")


def record(incoming: Request, services: Services, recorder: Recorder, exchange: Exchange) -> Response:
    """Pass the call to the upstream, answer its answer, and write both to the cassette.

    Both verdicts are noted, never enforced: the service is what is being recorded.
    A 502 or 504 (:class:`UpstreamUnreachable`, :class:`UpstreamTimeout`) leaves the cassette as it was.
    """
    route = services.spec.router.find(incoming)
    exchange.operation_id = route.operation_id if route else None
    limit = services.config.max_body_bytes
    refuse_announced_past(incoming, limit)
    read_body(incoming, limit)
    request_verdict = _request_verdict(incoming, services, route, exchange)
    sent = _sent(incoming, route, exchange.form)
    answer = recorder.forward(sent)
    response = _response(answer.status, answer.reason, answer.headers, answer.body)
    response_verdict = _response_verdict(incoming, services, response)
    duration_ms = (time.perf_counter() - exchange.started) * 1000
    name = recorder.write(sent, answer, request=request_verdict, response=response_verdict, duration_ms=duration_ms)
    exchange.generation_id = sent.facts.generation_id or _generation_id(answer.status, answer.body)
    _note_image(exchange, answer.status, answer.headers, answer.body)
    exchange.recording = {
        "source": "recorded",
        "exchange": name,
        "response_valid": response_verdict.valid,
        "response_errors": [clipped(line) for line in response_verdict.errors[:ENTRY_LIMIT]],
    }
    return response


def replay(incoming: Request, services: Services, replayer: Replayer, exchange: Exchange) -> Response | None:
    """The recorded answer to this call; ``None`` to let the mock answer a miss (``--replay-miss mock``).

    Raises:
        ReplayMiss: no recording matches, under ``--replay-miss error``: the lines say what differs.
    """
    route = services.spec.router.route(incoming)
    exchange.operation_id = route.operation_id
    limit = services.config.max_body_bytes
    refuse_announced_past(incoming, limit)
    read_body(incoming, limit)
    _request_verdict(incoming, services, route, exchange)
    facts = _sent(incoming, route, exchange.form).facts
    found = replayer.answer(facts)
    if isinstance(found, RecordedExchange):
        exchange.recording = {"source": "replayed", "exchange": found.name}
        exchange.generation_id = facts.generation_id or _generation_id(found.response.status, found.response.body)
        answer = found.response
        _note_image(exchange, answer.status, answer.headers, answer.body)
        return _response(answer.status, answer.reason, answer.headers, answer.body)
    nearest = f"; the nearest recording is {found.nearest.name}" if found.nearest else ""
    lines = [f"replay: no recorded exchange matches this request{nearest}", *found.differences]
    if services.config.replay_miss == "error":
        exchange.recording = {"source": "replay_miss", "exchange": None}
        raise ReplayMiss(lines)
    exchange.recording = {"source": "mock", "exchange": None, "replay_miss": lines[:ENTRY_LIMIT]}
    return None


def _request_verdict(incoming: Request, services: Services, route: Route | None, exchange: Exchange) -> Verdict:
    """The document's verdict on the request, noted on the exchange (its form too, valid or not)."""
    if route is None:
        exchange.errors = None
        return Verdict(None)
    try:
        valid = services.spec.validate_request(incoming, route)
    except RequestInvalid as exc:
        exchange.errors, exchange.form = exc.errors, exc.form
        return Verdict(False, tuple(exc.errors))
    exchange.errors, exchange.form = [], valid.form
    return Verdict(True)


def _response_verdict(incoming: Request, services: Services, response: Response) -> Verdict:
    """The document's verdict on the upstream's answer: a disagreement is shown, never enforced."""
    try:
        problems = services.spec.response_errors(incoming, response)
    except Exception as exc:
        # Whatever the upstream sent, the client gets it: a check that cannot run is noted, not raised.
        log.warning("could not check the upstream's answer to %s %s: %s", incoming.method, incoming.path, exc)
        return Verdict(None, (f"response: could not be checked ({type(exc).__name__}: {exc})",))
    return Verdict(not problems, tuple(problems))


def _sent(incoming: Request, route: Route | None, form: ParsedForm | None) -> SentRequest:
    files = dict(form.files) if form is not None else {}
    path_id = (incoming.view_args or {}).get("id")
    facts = RecordedRequest(
        method=incoming.method,
        path=incoming.path,
        operation=route.operation_id if route else None,
        generation_id=path_id if isinstance(path_id, str) else None,
        accept=incoming.headers.get("Accept"),
        fields=dict(form.text) if form is not None else {},
        files={name: hashlib.sha256(data).hexdigest() for name, data in files.items()},
    )
    target = incoming.full_path if incoming.query_string else incoming.path
    return SentRequest(
        facts=facts, target=target, headers=tuple(incoming.headers.items()), body=incoming.get_data(), files=files
    )


def _response(status: int, reason: str, headers: tuple[tuple[str, str], ...], body: bytes) -> Response:
    """The answer as the upstream sent it: Werkzeug adds no content type the upstream did not send."""
    response = Response(body, status=f"{status} {reason}".strip(), headers=list(headers))
    if first(headers, "content-type") is None:
        del response.headers["Content-Type"]
    return response


def _note_image(exchange: Exchange, status: int, headers: tuple[tuple[str, str], ...], body: bytes) -> None:
    """The image answered, for the journal's ``delivered`` and the dashboard's thumbnail of it."""
    exchange.delivered = delivered(status, headers, body)
    if exchange.delivered is not None:
        exchange.delivered_bytes = body


def _generation_id(status: int, body: bytes) -> str | None:
    """The id an async submit answered, for the journal's record of it."""
    if status != 200 or not body.startswith(b"{"):
        return None
    try:
        found = json.loads(body).get("id")
    except (ValueError, AttributeError):
        return None
    return found if isinstance(found, str) and len(found) <= 200 else None
