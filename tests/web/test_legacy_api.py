"""The v2alpha upscale and its result path: served under ``live`` (in Stability's document), 404 under ``seed``."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from mockserver import Config
from tests.conftest import AUTH, SMALL_TARGET, Clock, Upload, checked_client
from tests.images import decoded, png

LEGACY_PATH = "/v2alpha/generation/stable-image/upscale"
LEGACY_RESULT = "/v2alpha/generation/stable-image/upscale/result/{id}"


def client_for(profile: str, clock: Clock, **config: object) -> FlaskClient:
    return checked_client(
        Config(store="memory://", profile=profile, target_pixels=SMALL_TARGET, **config),  # type: ignore[arg-type]
        clock,
    )


@pytest.mark.parametrize("poll", [LEGACY_RESULT, "/v2beta/results/{id}"])
def test_a_legacy_upscale_is_a_job_polled_until_its_image(clock: Clock, upload: Upload, poll: str) -> None:
    client = client_for("live", clock)
    started = client.post(
        LEGACY_PATH, data=upload(png(64, 64), prompt="a lighthouse", output_format="webp"), headers=AUTH
    )
    assert started.status_code == 200
    generation_id = started.get_json()["id"]
    assert len(generation_id) == 64
    url = poll.format(id=generation_id)
    pending = client.get(url, headers=AUTH)
    assert (pending.status_code, pending.get_json()) == (202, {"id": generation_id, "status": "in-progress"})
    done = client.get(url, headers=AUTH)
    assert (done.status_code, done.mimetype) == (200, "image/webp")
    assert decoded(done.data).size == (256, 256)  # SMALL_TARGET, aspect kept


def test_a_legacy_upscale_takes_creatives_fields_and_limits(clock: Clock, upload: Upload) -> None:
    client = client_for("live", clock)
    no_prompt = client.post(LEGACY_PATH, data=upload(png(64, 64)), headers=AUTH)
    assert (no_prompt.status_code, no_prompt.get_json()["errors"]) == (400, ["prompt: required"])
    styled = client.post(
        LEGACY_PATH, data=upload(png(64, 64), prompt="x", style_preset="anime", creativity="0.1"), headers=AUTH
    )
    assert styled.status_code == 200
    too_big = client.post(LEGACY_PATH, data=upload(png(1100, 1000), prompt="x"), headers=AUTH)
    assert too_big.status_code == 400
    assert too_big.get_json()["errors"][0].startswith("image: ")


def test_a_legacy_upscale_costs_25_credits(clock: Clock, upload: Upload) -> None:
    client = client_for("live", clock, credits=30)
    assert client.post(LEGACY_PATH, data=upload(png(64, 64), prompt="x"), headers=AUTH).status_code == 200
    assert client.get("/v1/user/balance", headers=AUTH).get_json() == {"credits": 5.0}
    assert client.post(LEGACY_PATH, data=upload(png(64, 64), prompt="x"), headers=AUTH).status_code == 402


def test_faults_are_staged_on_the_legacy_operations(clock: Clock, upload: Upload) -> None:
    client = client_for("live", clock)
    assert client.post("/_mock/faults", json={"operation": "getUpscaleLegacyResult", "status": 403}).status_code == 201
    generation_id = client.post(LEGACY_PATH, data=upload(png(64, 64), prompt="x"), headers=AUTH).get_json()["id"]
    refused = client.get(LEGACY_RESULT.format(id=generation_id), headers=AUTH)
    assert (refused.status_code, refused.get_json()["name"]) == (403, "content_moderation")


@pytest.mark.parametrize("path", [LEGACY_PATH, LEGACY_RESULT.format(id="0" * 64)])
def test_the_seed_profile_has_no_legacy_paths(clock: Clock, upload: Upload, path: str) -> None:
    client = client_for("seed", clock)
    answer = (
        client.post(path, data=upload(png(64, 64), prompt="x"), headers=AUTH)
        if path == LEGACY_PATH
        else client.get(path, headers=AUTH)
    )
    assert (answer.status_code, answer.get_json()["errors"]) == (404, [f"path: no endpoint at {path}"])
