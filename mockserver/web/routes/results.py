"""GET /v2beta/results/{id}, its alias under creative/result/{id}, and the v2alpha result path."""

from __future__ import annotations

from flask import Blueprint, Response, request

from mockserver.imaging import MEDIA_TYPES
from mockserver.pipeline import jobs
from mockserver.web.current import current_call, current_exchange, current_services
from mockserver.web.negotiation import wants_json
from mockserver.web.responses import image_response, json_response

bp = Blueprint("results", __name__)


@bp.get("/v2alpha/generation/stable-image/upscale/result/<id>")
@bp.get("/v2beta/results/<id>")
@bp.get("/v2beta/stable-image/upscale/creative/result/<id>")
def result(id: str) -> Response:
    """202 while the job is pending, then 200 with the image, for as long as it is kept.

    The ``Accept`` decision is made on every poll, 202s included, so a client
    that cannot take the result hears it on its first poll, not after the wait.
    """
    exchange, shared = current_exchange(), current_services()
    call = current_call()
    now = shared.clock()
    job = jobs.poll(shared.store, id, call.key_fingerprint, now)
    exchange.job_plan = job.plan
    as_json = wants_json(request.headers.get("Accept"), MEDIA_TYPES[job.order.output_format])
    outcome = jobs.result_of(
        shared.store,
        job,
        now,
        shared.upscaler.render,
        max_bytes=shared.config.max_store_bytes,
        rendered_ahead=shared.render_ahead.wait_for,
    )
    if outcome is None:
        return json_response({"id": id, "status": "in-progress"}, status=202)
    return image_response(
        outcome, exchange, as_json=as_json, with_result_key=True, headers_on_json=shared.traits.headers_on_json
    )
