"""POST /v2alpha/generation/stable-image/upscale: the older upscale, still called by clients.

Served only where the profile's document has it (``live``); it is creative's
service under its old path, so it starts a job the same way, polled at the
v2alpha result path (:mod:`mockserver.web.routes.results`) or any other.
"""

from __future__ import annotations

from flask import Blueprint, Response

from mockserver.web.routes.upscale import upscale

bp = Blueprint("legacy", __name__, url_prefix="/v2alpha/generation")


@bp.post("/stable-image/upscale")
def legacy_upscale() -> Response:
    return upscale()
