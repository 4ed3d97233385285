"""``/_mock/``: stage faults and settings, read the journal and jobs (spec/admin.yml).

Thin by design: every route validates against the admin spec (in the edge) and
calls :class:`mockserver.control.local.MockControl`, which the pytest fixture and the
scenario file use too.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from flask import Blueprint, Response, g, request

from mockserver.control.local import MockControl
from mockserver.coverage import Coverage
from mockserver.errors import RouteNotFound
from mockserver.models import Fault
from mockserver.pipeline.journal import RECORD_LIMIT_BYTES
from mockserver.recording.har import har_log
from mockserver.web.current import current_services
from mockserver.web.responses import json_response

#: What every thumbnail is (see :mod:`mockserver.imaging.thumbnail`).
THUMBNAIL_TYPE = "image/webp"

bp = Blueprint("admin", __name__, url_prefix="/_mock")


def control() -> MockControl:
    return MockControl(current_services())


def _body() -> dict[str, Any]:
    body: dict[str, Any] = g.admin_body
    return body


#: The most bytes of records one ``GET /_mock/requests`` answers (the newest that fit).
RESPONSE_LIMIT_BYTES = 16 * 1024 * 1024


@bp.get("/requests")
def list_requests() -> Response:
    query = g.admin_query
    records = control().requests(
        operation=query.get("operation"),
        status=query.get("status"),
        key=query.get("key"),
        limit=query.get("limit", 1000),
    )
    kept = newest_within(records, RESPONSE_LIMIT_BYTES)
    if query.get("format") == "har":
        return json_response(har_log(kept, base_url=request.host_url))
    return json_response({"requests": kept, "truncated": len(kept) < len(records)})


def newest_within(records: list[dict[str, Any]], limit_bytes: int) -> list[dict[str, Any]]:
    """The newest records (oldest first, as given) whose JSON fits ``limit_bytes``.

    Each record is at most ``RECORD_LIMIT_BYTES``, so only a long answer is measured.
    """
    if len(records) * RECORD_LIMIT_BYTES <= limit_bytes:
        return records
    size, start = 0, len(records)
    while start > 0:
        size += len(json.dumps(records[start - 1])) + 2
        if size > limit_bytes:
            break
        start -= 1
    return records[start:]


@bp.get("/coverage")
def coverage() -> Response:
    """The journal's behaviour coverage, measured against the document this server answers by."""
    return json_response(Coverage.of_server(control(), g.admin_query.get("key")).as_json())


@bp.get("/thumbnails/<sha256>")
def thumbnail(sha256: str) -> Response:
    data = control().thumbnail(sha256)
    if data is None:
        raise RouteNotFound([f"sha256: no thumbnail kept of image {sha256}"])
    # Keyed by the image's own digest, so the bytes at this address never change.
    return Response(data, mimetype=THUMBNAIL_TYPE, headers={"Cache-Control": "private, max-age=86400, immutable"})


@bp.delete("/requests")
def clear_requests() -> Response:
    return json_response({"deleted": control().clear_requests(_key())})


def _key() -> str | None:
    """The ``?key=`` that narrows a read or a delete to one key's faults or jobs."""
    key: str | None = g.admin_query.get("key")
    return key


@bp.get("/faults")
def list_faults() -> Response:
    return json_response({"faults": [fault_json(fault) for fault in control().faults(_key())]})


@bp.post("/faults")
def add_fault() -> Response:
    return json_response(fault_json(control().add_fault(**_body())), status=201)


@bp.delete("/faults")
def clear_faults() -> Response:
    return json_response({"deleted": control().clear_faults(key=_key())})


@bp.delete("/faults/<id>")
def delete_fault(id: str) -> Response:
    key = _key()
    deleted = control().clear_faults(id, key)
    if not deleted:
        raise RouteNotFound([f"id: no queued fault {id!r}" + (" staged for that key" if key else "")])
    return json_response({"deleted": deleted})


@bp.get("/jobs")
def list_jobs() -> Response:
    return json_response({"jobs": [job.to_dict() for job in control().jobs(_key())]})


@bp.post("/jobs/<id>/complete")
def complete_job(id: str) -> Response:
    return json_response(control().complete_job(id).to_dict())


@bp.post("/jobs/<id>/fail")
def fail_job(id: str) -> Response:
    return json_response(control().fail_job(id).to_dict())


# ``/config`` is the first name of ``/settings``, still answered (deprecated in admin.yml).
@bp.get("/settings")
@bp.get("/config")
def get_settings() -> Response:
    return json_response(control().settings().to_dict())


@bp.patch("/settings")
@bp.patch("/config")
def update_settings() -> Response:
    return json_response(control().update_settings(**_body()).to_dict())


@bp.get("/credits/<key>")
def get_credits(key: str) -> Response:
    return json_response(control().credits(key).to_dict())


@bp.put("/credits/<key>")
def set_credits(key: str) -> Response:
    return json_response(control().set_credits(key, int(_body()["balance"])).to_dict())


@bp.post("/reset")
def reset() -> Response:
    control().reset()
    return json_response({"status": "reset"})


def fault_json(fault: Fault) -> dict[str, Any]:
    return dataclasses.asdict(fault)
