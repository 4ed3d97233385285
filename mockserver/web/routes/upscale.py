"""POST /v2beta/stable-image/upscale/{fast,conservative,creative}."""

from __future__ import annotations

import time

from flask import Blueprint, Response, request

from mockserver.imaging import MEDIA_TYPES
from mockserver.imaging.upscaler import order_for
from mockserver.pipeline import jobs, timing
from mockserver.pipeline.exchange import ApiCall
from mockserver.pipeline.timing import Timing
from mockserver.web.current import current_call, current_exchange, current_services
from mockserver.web.negotiation import wants_json
from mockserver.web.responses import image_response, json_response

bp = Blueprint("upscale", __name__, url_prefix="/v2beta/stable-image/upscale")


@bp.post("/fast")
@bp.post("/conservative")
@bp.post("/creative")
def upscale() -> Response:
    """The image at once, or a job to poll, as the profile's document says of this operation;
    answered when the timing preset says this upload is done (at once under ``instant``)."""
    call = current_call()
    timed = timing.for_upload(
        call.settings,
        call.operation_id,
        renders_at_once=call.route.renders_at_once,
        request_text=request.method + request.path,
        body=request.get_data(),
    )
    response = _render_now() if call.route.renders_at_once else _start_job(timed)
    if timed is not None:
        _hold(timed)
    return response


def _hold(timed: Timing) -> None:
    """Hold the answer until the upload's time since the request arrived has passed."""
    exchange = current_exchange()
    wait = timed.hold_seconds(started=exchange.started, held=exchange.held_seconds, now=time.perf_counter())
    if wait:
        current_services().sleep(wait)


def _render_now() -> Response:
    """Synchronous: the image (or its JSON envelope) in the answer."""
    call, shared = current_call(), current_services()
    image: bytes = call.body["image"]
    as_json = _wants_json(call)
    order = order_for(call.operation_id, call.body, image, content_filtered=call.content_filtered)
    source = shared.upscaler.accept(call.operation_id, image)
    return image_response(
        shared.upscaler.render_source(source, order),
        current_exchange(),
        as_json=as_json,
        headers_on_json=shared.traits.headers_on_json,
    )


def _start_job(timed: Timing | None) -> Response:
    """Asynchronous: check the image and the ``Accept`` header now (bad input is a 400 here,
    not at poll time), create the job, start rendering it, answer its generation id."""
    call, shared, exchange = current_call(), current_services(), current_exchange()
    image: bytes = call.body["image"]
    _wants_json(call)
    order = order_for(call.operation_id, call.body, image, content_filtered=call.content_filtered)
    shared.upscaler.accept(call.operation_id, image)
    now = shared.clock()
    shared.purge_now_and_then(now)
    job = jobs.create(
        shared.store,
        call,
        order,
        image,
        now=now,
        retention_seconds=shared.config.retention_seconds,
        max_bytes=shared.config.max_store_bytes,
        faults_queued=exchange.faults_queued,
        timing=timed,
    )
    exchange.generation_id = job.id
    exchange.job_plan = job.plan
    shared.render_ahead.submit(
        shared.store, job, image, shared.upscaler.render, max_bytes=shared.config.max_store_bytes
    )
    return json_response({"id": job.id})


def _wants_json(call: ApiCall) -> bool:
    """Whether ``Accept`` asks for the JSON envelope of the output format (406/400 when it accepts neither)."""
    return wants_json(request.headers.get("Accept"), MEDIA_TYPES[str(call.body.get("output_format", "png"))])
