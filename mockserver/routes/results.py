"""GET /v2beta/results/{id} and its legacy alias under creative/result/{id}."""

from __future__ import annotations

from flask import Blueprint, Response, request

from mockserver import jobs
from mockserver.admission import current_call
from mockserver.responses import image_response, json_response, wants_json
from mockserver.services import services

bp = Blueprint("results", __name__)


@bp.get("/v2beta/results/<id>")
@bp.get("/v2beta/stable-image/upscale/creative/result/<id>")
def result(id: str) -> Response:
    """202 while the job is pending, then 200 with the image, for as long as it is kept."""
    call, mock = current_call(), services()
    outcome = jobs.poll(mock.store, id, call.key_fingerprint, mock.clock(), mock.upscaler.render)
    if outcome is None:
        return json_response({"id": id, "status": "in-progress"}, status=202)
    as_json = wants_json(request.accept_mimetypes, outcome.media_type)
    return image_response(outcome, as_json=as_json, with_result_key=True)
