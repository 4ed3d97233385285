"""The mock's own endpoints: health and the spec in force, as YAML and as JSON (the admin API grows here)."""

from __future__ import annotations

from flask import Blueprint, Response, request

from mockserver.web.current import current_services
from mockserver.web.responses import json_response

bp = Blueprint("meta", __name__)


@bp.get("/_mock/health")
def health() -> Response:
    current_services().store.check()
    return json_response({"status": "ok"})


@bp.get("/openapi.yml")
def openapi_document() -> Response:
    """The bundled spec, listing this server first so generated clients point here."""
    text = current_services().spec.text_for(request.host_url)
    return Response(text, mimetype="application/yaml")


@bp.get("/openapi.json")
def openapi_json() -> Response:
    """The same document as JSON, which a browser reads without a YAML parser (the dashboard's forms)."""
    return json_response(current_services().spec.document_for(request.host_url))
