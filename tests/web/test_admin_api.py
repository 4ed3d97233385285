"""Who may call the admin API, and how it refuses bad input."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from mockserver import Config
from tests.conftest import AUTH, Upload

ELSEWHERE = {"REMOTE_ADDR": "192.0.2.10"}


def test_admin_answers_on_loopback(client: FlaskClient) -> None:
    assert client.get("/_mock/faults").status_code == 200


def test_admin_refuses_other_addresses_without_a_token(client: FlaskClient) -> None:
    response = client.get("/_mock/faults", environ_base=ELSEWHERE)
    assert response.status_code == 403
    assert response.get_json()["name"] == "forbidden"
    assert client.get("/_mock/health", environ_base=ELSEWHERE).status_code == 200


@pytest.mark.parametrize("config", [Config(store="memory://", admin_token="s3cret")])
def test_with_a_token_every_caller_needs_it(client: FlaskClient) -> None:
    assert client.get("/_mock/faults").status_code == 403
    assert client.get("/_mock/faults", headers={"X-Admin-Token": "wrong"}).status_code == 403
    assert client.get("/_mock/faults", headers={"X-Admin-Token": "s3cret"}, environ_base=ELSEWHERE).status_code == 200
    assert client.get("/_mock/settings", headers={"Authorization": "Bearer s3cret"}).status_code == 200


def test_admin_calls_are_not_rate_limited(client: FlaskClient) -> None:
    client.patch("/_mock/settings", json={"rate_limit": "1/10s"})
    assert all(client.get("/_mock/faults").status_code == 200 for _ in range(5))


def test_settings_answer_at_their_first_name_too(client: FlaskClient) -> None:
    """``/_mock/config`` was the first name of ``/_mock/settings``; scripts that use it keep working."""
    assert client.patch("/_mock/config", json={"pending_polls": 4}).get_json()["pending_polls"] == 4
    assert client.get("/_mock/settings").get_json()["pending_polls"] == 4
    assert client.patch("/_mock/settings", json={"pending_polls": 5}).status_code == 200
    assert client.get("/_mock/config").get_json()["pending_polls"] == 5
    assert client.patch("/_mock/config", json={"pending_polls": -1}).status_code == 400


def test_bad_admin_bodies_get_field_errors(client: FlaskClient) -> None:
    response = client.patch("/_mock/settings", json={"pending_polls": "three", "colour": "red"})
    assert response.status_code == 400
    assert response.get_json()["errors"] == [
        "colour: is not a known field",
        "pending_polls: must be an integer, got 'three'",
    ]
    not_json = client.post("/_mock/faults", data="status=429", content_type="text/plain")
    assert not_json.status_code == 400
    assert not_json.get_json()["errors"] == ["content-type: must be application/json"]


def test_unknown_fault_and_admin_path(client: FlaskClient) -> None:
    assert client.delete("/_mock/faults/nope").status_code == 404
    assert client.get("/_mock/nothing").status_code == 404


# Nothing rendered ahead: the job must still be unrendered when listed, however long the listing takes
# (the first admin call parses spec/admin.yml, about as long as rendering this job ahead).
@pytest.mark.parametrize("config", [Config(store="memory://", target_pixels=256 * 256, render_ahead_threads=0)])
def test_jobs_are_listed_with_their_plan(client: FlaskClient, upload: Upload) -> None:
    from tests.images import png

    generation_id = client.post(
        "/v2beta/stable-image/upscale/creative", data=upload(png(64, 64), prompt="x", seed=9), headers=AUTH
    ).get_json()["id"]
    [job] = client.get("/_mock/jobs").get_json()["jobs"]
    assert job["id"] == generation_id
    assert job["status"] == "in-progress"
    assert job["request"]["seed"] == 9
    assert job["plan"]["pending_polls"] == 1
    assert client.post(f"/_mock/jobs/{generation_id}/complete").get_json()["plan"]["pending_polls"] == 0
    assert client.get(f"/v2beta/results/{generation_id}", headers=AUTH).status_code == 200
    assert client.get("/_mock/jobs").get_json()["jobs"][0]["status"] == "ready"
