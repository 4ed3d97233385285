"""Coverage measured on a running mock's journal: what was delivered counts, what was only staged does not."""

from __future__ import annotations

import io
from collections.abc import Iterator

import pytest
import requests

from contract_tests import LiveServer
from mockserver import Config, MemoryStore, create_app
from mockserver.control.remote import MockAdmin
from mockserver.coverage import Coverage, catalogue_for
from mockserver.pipeline.auth import fingerprint
from tests.conftest import FIXTURES

SAMPLE = (FIXTURES / "sample.png").read_bytes()
KEY, OTHER = "sk-coverage-one", "sk-coverage-two"


@pytest.fixture(scope="module")
def server() -> Iterator[LiveServer]:
    with LiveServer.for_config(Config(store="memory://", target_pixels=256 * 256)) as live:
        yield live


@pytest.fixture
def admin(server: LiveServer) -> Iterator[MockAdmin]:
    with MockAdmin(server.url) as client:
        client.reset()
        yield client


def upload(server: LiveServer, operation: str = "fast", key: str = KEY, **headers: str) -> requests.Response:
    return requests.post(
        server.url_for(f"/v2beta/stable-image/upscale/{operation}"),
        files={"image": ("sample.png", SAMPLE, "image/png")},
        data={"prompt": "a sunny day"} if operation != "fast" else {},
        headers={"Authorization": f"Bearer {key}", **headers},
        timeout=30,
    )


def poll(server: LiveServer, generation_id: str, key: str = KEY, **headers: str) -> requests.Response:
    return requests.get(
        server.url_for(f"/v2beta/results/{generation_id}"),
        headers={"Authorization": f"Bearer {key}", **headers},
        timeout=30,
    )


def met(admin: MockAdmin, key: str | None = None) -> set[str]:
    return {behaviour.id for behaviour in Coverage.from_json(admin.coverage(key)).met}


def test_a_fast_200_and_a_creative_happy_path_meet_exactly_their_behaviours(
    server: LiveServer, admin: MockAdmin
) -> None:
    admin.update_settings(pending_polls=1)
    upload(server)
    generation_id = upload(server, "creative").json()["id"]
    assert [poll(server, generation_id).status_code for _ in range(2)] == [202, 200]
    assert met(admin) == {
        "upscaleImageFast:image",
        "upscaleImageCreative:submit",
        "getUpscaleResult:pending",
        "getUpscaleResult:image",
    }


def test_staged_faults_count_once_they_fire_and_never_before(server: LiveServer, admin: MockAdmin) -> None:
    admin.add_fault(operation="upscaleImageConservative", status=429)
    admin.add_fault(operation="upscaleImageFast", transport="truncate")
    assert met(admin) == set()
    upload(server, "conservative")
    assert met(admin) == {"upscaleImageConservative:status-429", "upscaleImageConservative:retry-after-429"}
    with pytest.raises(requests.exceptions.ChunkedEncodingError):
        upload(server)
    assert "upscaleImageFast:transport-truncate" in met(admin)
    assert "upscaleImageFast:image" not in met(admin), "a truncated answer is not an image met"


def test_job_states_json_answers_and_unknown_ids(server: LiveServer, admin: MockAdmin) -> None:
    admin.add_fault(operation="upscaleImageCreative", job={"pending_polls": None})
    admin.add_fault(operation="upscaleImageCreative", job={"pending_polls": 0, "outcome": "fail"})
    admin.add_fault(operation="upscaleImageCreative", job={"pending_polls": 0, "outcome": "content_filtered"})
    endless, failing, filtered = (upload(server, "creative").json()["id"] for _ in range(3))
    assert poll(server, endless).status_code == 202
    assert poll(server, failing).status_code == 500
    assert poll(server, filtered, Accept="application/json").json()["finish_reason"] == "CONTENT_FILTERED"
    assert poll(server, "0" * 64).status_code == 404
    assert met(admin) >= {
        "getUpscaleResult:pending",
        "getUpscaleResult:never-ending",
        "getUpscaleResult:status-500",
        "getUpscaleResult:failed-job",
        "getUpscaleResult:json",
        "getUpscaleResult:content-filtered",
        "getUpscaleResult:status-404",
        "getUpscaleResult:unknown-id",
    }
    assert "getUpscaleResult:image" not in met(admin)


def test_a_reset_connection_counts_for_the_operation_it_cut(server: LiveServer, admin: MockAdmin) -> None:
    admin.add_fault(operation="upscaleImageFast", transport="reset")
    with pytest.raises(requests.ConnectionError):
        upload(server)
    assert met(admin) == {"upscaleImageFast:transport-reset"}


def test_coverage_of_one_key_counts_only_its_calls(server: LiveServer, admin: MockAdmin) -> None:
    admin.add_fault(operation="upscaleImageFast", status=503)
    upload(server, key=OTHER)
    upload(server, key=KEY, Accept="application/json")
    assert met(admin) == {"upscaleImageFast:status-503", "upscaleImageFast:json"}
    assert met(admin, KEY) == met(admin, fingerprint(KEY)) == {"upscaleImageFast:json"}
    assert Coverage.from_json(admin.coverage(KEY)).key == fingerprint(KEY)
    records = admin.requests()
    other = Coverage.measure(records, catalogue_for("seed"), key=OTHER)
    assert {behaviour.id: other.count(behaviour) for behaviour in other.met} == {"upscaleImageFast:status-503": 1}


def test_the_live_profile_counts_its_account_endpoints_and_conservatives_image() -> None:
    client = create_app(Config(store="memory://", profile="live", target_pixels=256 * 256), store=MemoryStore())
    http = client.test_client()
    auth = {"Authorization": f"Bearer {KEY}"}
    assert http.get("/v1/user/balance", headers=auth).status_code == 200
    assert http.get("/v1/user/account").status_code == 401
    sent = http.post(
        "/v2beta/stable-image/upscale/conservative",
        data={"image": (io.BytesIO(SAMPLE), "sample.png", "image/png"), "prompt": "a sunny day"},
        headers=auth,
    )
    assert sent.status_code == 200
    report = Coverage.from_json(http.get("/_mock/coverage").get_json())
    assert (report.profile, len(report.behaviours)) == ("live", 140)
    assert {b.id for b in report.met} == {
        "getUserBalance:ok",
        "getUserAccount:status-401",
        "upscaleImageConservative:image",
    }
