"""How results go out: raw image bytes or JSON, as the ``Accept`` header asks."""

from __future__ import annotations

import base64
import json

from flask import Response

from mockserver.imaging import RenderedImage
from mockserver.pipeline.exchange import Delivered, Exchange
from mockserver.web.negotiation import JSON, json_envelope_type


def image_response(
    result: RenderedImage,
    exchange: Exchange,
    *,
    as_json: bool,
    with_result_key: bool = False,
    headers_on_json: bool = True,
) -> Response:
    """The 200 answer for a finished upscale; what it delivers is noted on ``exchange`` for the journal.

    ``headers_on_json=False`` is production's way: ``finish-reason`` and ``seed`` go in
    headers only beside raw bytes; a JSON answer has them in its body alone.
    """
    headers = {"finish-reason": result.finish_reason, "seed": str(result.seed)}
    if as_json and not headers_on_json:
        headers = {}
    exchange.delivered = Delivered.of(result, as_json=as_json)
    exchange.delivered_bytes = result.data
    if not as_json:
        return Response(result.data, status=200, mimetype=result.media_type, headers=headers)
    encoded = base64.b64encode(result.data).decode("ascii")
    body: dict[str, object] = {"image": encoded, "finish_reason": result.finish_reason, "seed": result.seed}
    if with_result_key:
        body["result"] = encoded
    return Response(
        json.dumps(body),
        status=200,
        headers=headers,
        content_type=json_envelope_type(result.media_type),
    )


def json_response(body: object, status: int = 200) -> Response:
    return Response(json.dumps(body), status=status, mimetype=JSON)
