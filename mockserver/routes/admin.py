"""``/_mock/``: stage faults and settings, read the journal and jobs (spec/admin.yml).

Thin by design: every route validates against the admin spec (in the edge) and
calls :class:`mockserver.control.MockControl`, which the pytest fixture and the
scenario file use too.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from flask import Blueprint, Response, g

from mockserver.control import MockControl
from mockserver.errors import RouteNotFound
from mockserver.faults import Fault
from mockserver.responses import json_response
from mockserver.services import services

bp = Blueprint("admin", __name__, url_prefix="/_mock")


def control() -> MockControl:
    return MockControl(services())


def _body() -> dict[str, Any]:
    body: dict[str, Any] = g.admin_body
    return body


@bp.get("/requests")
def list_requests() -> Response:
    query = g.admin_query
    records = control().requests(
        operation=query.get("operation"),
        status=query.get("status"),
        key=query.get("key"),
        limit=query.get("limit", 1000),
    )
    return json_response({"requests": records})


@bp.delete("/requests")
def clear_requests() -> Response:
    return json_response({"deleted": control().clear_requests()})


@bp.get("/faults")
def list_faults() -> Response:
    return json_response({"faults": [fault_json(fault) for fault in control().faults()]})


@bp.post("/faults")
def add_fault() -> Response:
    return json_response(fault_json(control().add_fault(**_body())), status=201)


@bp.delete("/faults")
def clear_faults() -> Response:
    return json_response({"deleted": control().clear_faults()})


@bp.delete("/faults/<id>")
def delete_fault(id: str) -> Response:
    deleted = control().clear_faults(id)
    if not deleted:
        raise RouteNotFound([f"id: no queued fault {id!r}"])
    return json_response({"deleted": deleted})


@bp.get("/jobs")
def list_jobs() -> Response:
    return json_response({"jobs": [job.to_dict() for job in control().jobs()]})


@bp.post("/jobs/<id>/complete")
def complete_job(id: str) -> Response:
    return json_response(control().complete_job(id).to_dict())


@bp.post("/jobs/<id>/fail")
def fail_job(id: str) -> Response:
    return json_response(control().fail_job(id).to_dict())


@bp.get("/config")
def get_config() -> Response:
    return json_response(control().config().to_dict())


@bp.patch("/config")
def update_config() -> Response:
    return json_response(control().update_config(**_body()).to_dict())


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
