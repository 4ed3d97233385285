"""Async jobs: 202 then 200, readiness rules, retention and key scoping."""

from __future__ import annotations

import base64

import pytest
from flask.testing import FlaskClient
from PIL import Image

from mockserver import Config
from tests.conftest import AUTH, CONSERVATIVE_PATH, CREATIVE_PATH, FAST_PATH, SMALL_TARGET, Clock, Upload
from tests.images import decoded, png

RESULTS = "/v2beta/results/{}"
LEGACY = "/v2beta/stable-image/upscale/creative/result/{}"


def start(
    client: FlaskClient, upload: Upload, path: str = CREATIVE_PATH, image: bytes | None = None, **fields: object
) -> str:
    fields.setdefault("prompt", "a lighthouse at dusk")
    response = client.post(path, data=upload(image or png(64, 64), **fields), headers=AUTH)
    assert response.status_code == 200, response.get_json()
    generation_id: str = response.get_json()["id"]
    return generation_id


@pytest.mark.parametrize("poll_path", [RESULTS, LEGACY])
@pytest.mark.parametrize("path", [CONSERVATIVE_PATH, CREATIVE_PATH])
def test_first_poll_is_202_then_the_image(client: FlaskClient, upload: Upload, path: str, poll_path: str) -> None:
    generation_id = start(client, upload, path)
    pending = client.get(poll_path.format(generation_id), headers=AUTH)
    assert pending.status_code == 202
    assert pending.get_json() == {"id": generation_id, "status": "in-progress"}
    ready = client.get(poll_path.format(generation_id), headers=AUTH)
    assert ready.status_code == 200
    assert ready.mimetype == "image/png"
    assert ready.headers["finish-reason"] == "SUCCESS"
    assert decoded(ready.data).size == (256, 256)


@pytest.mark.parametrize("config", [Config(store="memory://")])
def test_default_output_is_about_four_megapixels_with_the_aspect_kept(client: FlaskClient, upload: Upload) -> None:
    generation_id = start(client, upload, CONSERVATIVE_PATH, image=png(128, 64), output_format="jpeg")
    client.get(RESULTS.format(generation_id), headers=AUTH)
    ready = client.get(RESULTS.format(generation_id), headers=AUTH)
    assert decoded(ready.data).size == (2896, 1448)


def test_result_is_repeatable_and_the_same_on_both_paths(client: FlaskClient, upload: Upload) -> None:
    generation_id = start(client, upload)
    client.get(RESULTS.format(generation_id), headers=AUTH)
    first = client.get(RESULTS.format(generation_id), headers=AUTH)
    again = client.get(RESULTS.format(generation_id), headers=AUTH)
    legacy = client.get(LEGACY.format(generation_id), headers=AUTH)
    assert first.data == again.data == legacy.data


def test_json_result_has_image_and_result_keys(client: FlaskClient, upload: Upload) -> None:
    generation_id = start(client, upload, output_format="jpeg", seed=77)
    client.get(RESULTS.format(generation_id), headers=AUTH)
    raw = client.get(RESULTS.format(generation_id), headers=AUTH)
    enveloped = client.get(RESULTS.format(generation_id), headers={**AUTH, "Accept": "application/json"})
    body = enveloped.get_json()
    assert enveloped.headers["content-type"] == "application/json; type=image/jpeg"
    assert body["image"] == body["result"] == base64.b64encode(raw.data).decode()
    assert body["seed"] == 77
    assert raw.headers["seed"] == "77"


@pytest.mark.parametrize("config", [Config(store="memory://", pending_polls=3, target_pixels=SMALL_TARGET)])
def test_pending_polls_is_configurable(client: FlaskClient, upload: Upload) -> None:
    generation_id = start(client, upload)
    statuses = [client.get(RESULTS.format(generation_id), headers=AUTH).status_code for _ in range(5)]
    assert statuses == [202, 202, 202, 200, 200]


@pytest.mark.parametrize("config", [Config(store="memory://", pending_polls=0, target_pixels=SMALL_TARGET)])
def test_zero_pending_polls_is_ready_at_once(client: FlaskClient, upload: Upload) -> None:
    generation_id = start(client, upload)
    assert client.get(RESULTS.format(generation_id), headers=AUTH).status_code == 200


@pytest.mark.parametrize(
    "config", [Config(store="memory://", pending_polls=0, job_seconds=5, target_pixels=SMALL_TARGET)]
)
def test_job_seconds_hold_the_result_back(client: FlaskClient, upload: Upload, clock: Clock) -> None:
    generation_id = start(client, upload)
    assert client.get(RESULTS.format(generation_id), headers=AUTH).status_code == 202
    clock.advance(4.9)
    assert client.get(RESULTS.format(generation_id), headers=AUTH).status_code == 202
    clock.advance(0.1)
    assert client.get(RESULTS.format(generation_id), headers=AUTH).status_code == 200


@pytest.mark.parametrize("config", [Config(store="memory://", retention_seconds=60, target_pixels=SMALL_TARGET)])
def test_expired_results_are_404(client: FlaskClient, upload: Upload, clock: Clock) -> None:
    generation_id = start(client, upload)
    client.get(RESULTS.format(generation_id), headers=AUTH)
    assert client.get(RESULTS.format(generation_id), headers=AUTH).status_code == 200
    clock.advance(60)
    gone = client.get(RESULTS.format(generation_id), headers=AUTH)
    assert gone.status_code == 404
    assert gone.get_json()["name"] == "generation_not_found"


def test_unknown_id_is_404_in_the_api_shape(client: FlaskClient) -> None:
    response = client.get(RESULTS.format("0" * 64), headers=AUTH)
    assert response.status_code == 404
    body = response.get_json()
    assert body["errors"] == ["id: the generation either does not exist or has expired."]


def test_another_key_sees_404_and_does_not_count_as_a_poll(client: FlaskClient, upload: Upload) -> None:
    generation_id = start(client, upload)
    stranger = {"Authorization": "Bearer sk-someone-else"}
    assert client.get(RESULTS.format(generation_id), headers=stranger).status_code == 404
    assert client.get(RESULTS.format(generation_id), headers=AUTH).status_code == 202


def test_polling_needs_a_key(client: FlaskClient, upload: Upload) -> None:
    generation_id = start(client, upload)
    assert client.get(RESULTS.format(generation_id)).status_code == 401


def test_fast_has_no_async_result(client: FlaskClient, upload: Upload) -> None:
    response = client.post(FAST_PATH, data=upload(png(64, 64)), headers=AUTH)
    assert response.status_code == 200
    assert response.mimetype == "image/png"


def test_bad_async_input_fails_at_post_not_at_poll(client: FlaskClient, upload: Upload) -> None:
    response = client.post(CREATIVE_PATH, data=upload(png(64, 64)[:100], prompt="x"), headers=AUTH)
    assert response.status_code == 400
    assert response.get_json()["errors"] == ["image: could not be decoded (the file is truncated or corrupt)"]


def test_creative_seed_changes_the_image_and_conservative_stays_close(client: FlaskClient, upload: Upload) -> None:
    def result(path: str, **fields: object) -> Image.Image:
        generation_id = start(client, upload, path, image=None, **fields)
        client.get(RESULTS.format(generation_id), headers=AUTH)
        return decoded(client.get(RESULTS.format(generation_id), headers=AUTH).data).convert("RGB")

    one, two = result(CREATIVE_PATH, seed=1), result(CREATIVE_PATH, seed=2)
    assert one.tobytes() != two.tobytes()
    same_seed_other_prompt = result(CREATIVE_PATH, seed=1, prompt="a different prompt")
    assert same_seed_other_prompt.tobytes() != one.tobytes()
    # The live API's conservative upscale reads the seed too: other bytes, but only a faint tint apart.
    conservative_one, conservative_two = result(CONSERVATIVE_PATH, seed=1), result(CONSERVATIVE_PATH, seed=2)
    assert conservative_one.tobytes() != conservative_two.tobytes()
    pairs = zip(conservative_one.tobytes(), conservative_two.tobytes(), strict=True)
    assert sum(abs(a - b) for a, b in pairs) / len(conservative_one.tobytes()) < 6


def test_seed_zero_is_derived_and_reported(client: FlaskClient, upload: Upload) -> None:
    first = start(client, upload, seed=0)
    second = start(client, upload, seed=0)
    seeds = []
    for generation_id in (first, second):
        client.get(RESULTS.format(generation_id), headers=AUTH)
        seeds.append(client.get(RESULTS.format(generation_id), headers=AUTH).headers["seed"])
    assert seeds[0] == seeds[1] != "0"
    assert 1 <= int(seeds[0]) <= 4_294_967_294
