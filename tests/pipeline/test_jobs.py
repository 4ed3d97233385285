"""A job's plan: the outcome it finishes with, and how a stored plan reads back."""

from __future__ import annotations

from flask.testing import FlaskClient

from mockserver.imaging import RenderOrder
from mockserver.models import JobPlan, order_from_json, order_to_json
from tests.conftest import AUTH, CONSERVATIVE_PATH, Upload
from tests.images import png


def start(client: FlaskClient, upload: Upload) -> str:
    started = client.post(CONSERVATIVE_PATH, data=upload(png(64, 64), prompt="a sunny day"), headers=AUTH)
    assert started.status_code == 200
    generation_id: str = started.get_json()["id"]
    return generation_id


def test_a_content_filtered_plan_finishes_filtered(client: FlaskClient, upload: Upload) -> None:
    job = {"pending_polls": 0, "outcome": "content_filtered"}
    assert client.post("/_mock/faults", json={"operation": "upscaleImageConservative", "job": job}).status_code == 201
    filtered = client.get(f"/v2beta/results/{start(client, upload)}", headers=AUTH)
    assert filtered.headers["finish-reason"] == "CONTENT_FILTERED"
    client.patch("/_mock/settings", json={"pending_polls": 0})
    clear = client.get(f"/v2beta/results/{start(client, upload)}", headers=AUTH)
    assert clear.headers["finish-reason"] == "SUCCESS"


def test_a_plan_kept_by_an_older_version_reads_its_ready_time_as_seconds() -> None:
    kept = '{"pending_polls": 2, "ready_at": 105.5, "outcome": "fail"}'
    assert JobPlan.from_json(kept, created_at=100.0) == JobPlan(pending_polls=2, job_seconds=5.5, outcome="fail")
    overdue = '{"pending_polls": 2, "ready_at": 90.0, "outcome": "success"}'
    assert JobPlan.from_json(overdue, created_at=100.0).job_seconds == 0.0
    plan = JobPlan(pending_polls=None, job_seconds=3.0)
    assert JobPlan.from_json(plan.to_json(), created_at=0.0) == plan


def test_a_stored_order_reads_back_as_it_was() -> None:
    order = RenderOrder("upscaleImageCreative", "webp", 7, "a castle", "fog", 0.3, "anime", content_filtered=True)
    assert order_from_json(order_to_json(order)) == order
