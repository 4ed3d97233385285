"""What each profile does beyond its document: JSON answers' headers, error bodies, output sizes.

Production (logged 2026-09-22; spec/CHANGES.md): a JSON answer carries
``finish_reason`` and ``seed`` in its body only; error bodies are ``{id, name,
errors}``; a 512x512 input came back 3112x3112 from conservative and 3152x3152
from creative. The seed profile keeps the seed document's shapes and 2048².
"""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from mockserver import Config, create_app
from mockserver.imaging.render import output_size
from mockserver.services import services_of
from mockserver.settings.profiles import PRODUCTION_OUTPUT_PIXELS
from tests.conftest import (
    AUTH,
    CONSERVATIVE_PATH,
    CREATIVE_PATH,
    FAST_PATH,
    Form,
    Upload,
    checked_client,
)
from tests.images import decoded, png

JSON = {**AUTH, "Accept": "application/json"}


def client_for(profile: str, **config: object) -> FlaskClient:
    return checked_client(Config(store="memory://", profile=profile, pending_polls=0, **config))  # type: ignore[arg-type]


def finished(client: FlaskClient, path: str, form: Form, headers: dict[str, str]) -> TestResponse:
    """The 200 of an upload: at once when it renders at once, else from the results path."""
    answer = client.post(path, data=form, headers=headers)
    if answer.mimetype == "application/json" and set(answer.get_json()) == {"id"}:
        return client.get(f"/v2beta/results/{answer.get_json()['id']}", headers=headers)
    return answer


@pytest.mark.parametrize(("profile", "headers_on_json"), [("seed", True), ("live", False)])
@pytest.mark.parametrize("path", [FAST_PATH, CONSERVATIVE_PATH, CREATIVE_PATH])
def test_json_answers_carry_the_image_headers_only_under_seed(
    profile: str, headers_on_json: bool, path: str, upload: Upload
) -> None:
    client = client_for(profile, target_pixels=64 * 64)
    answer = finished(client, path, upload(png(64, 64), prompt="a lighthouse"), JSON)
    assert answer.status_code == 200
    body = answer.get_json()
    assert (body["finish_reason"], isinstance(body["seed"], int)) == ("SUCCESS", True)
    assert ("finish-reason" in answer.headers, "seed" in answer.headers) == (headers_on_json, headers_on_json)
    raw = finished(client, path, upload(png(64, 64), prompt="a lighthouse"), AUTH)
    assert raw.headers["finish-reason"] == "SUCCESS" and raw.headers["seed"] == str(body["seed"])


@pytest.mark.parametrize(("profile", "has_message"), [("seed", True), ("live", False)])
def test_error_bodies_carry_message_only_under_seed(profile: str, has_message: bool, upload: Upload) -> None:
    client = client_for(profile)
    for answer in (
        client.post(FAST_PATH, data=upload(png(32, 32), output_format="gif"), headers=AUTH),
        client.get("/v2beta/results/" + "0" * 64, headers=AUTH),
        client.get("/v2beta/no/such/path", headers=AUTH),
    ):
        body = answer.get_json()
        assert {"id", "name", "errors"} <= body.keys()
        assert ("message" in body) == has_message, body
    # The mock's own API keeps its document's shape under both profiles.
    assert "message" in client.post("/_mock/faults", json={"status": 999}).get_json()


@pytest.mark.parametrize(
    ("path", "side"),
    [(CONSERVATIVE_PATH, 3112), (CREATIVE_PATH, 3152)],
)
def test_live_renders_productions_sizes_from_a_512_square(path: str, side: int, upload: Upload) -> None:
    client = client_for("live")
    answer = finished(client, path, upload(png(512, 512), prompt="a lighthouse", output_format="jpeg"), AUTH)
    assert decoded(answer.data).size == (side, side)


def test_productions_sizes_are_a_fixed_area_with_the_aspect_kept() -> None:
    conservative = PRODUCTION_OUTPUT_PIXELS["upscaleImageConservative"]
    assert output_size("upscaleImageConservative", 512, 512, conservative) == (3112, 3112)
    width, height = output_size("upscaleImageConservative", 640, 256, conservative)
    assert abs(width / height - 2.5) < 0.01
    assert abs(width * height - conservative) / conservative < 0.001


@pytest.mark.parametrize("profile", ["seed", "live"])
def test_a_size_set_by_hand_applies_under_both_profiles(profile: str, upload: Upload) -> None:
    client = client_for(profile, target_pixels=128 * 128)
    answer = finished(client, CREATIVE_PATH, upload(png(64, 64), prompt="a lighthouse"), AUTH)
    assert decoded(answer.data).size == (128, 128)


def test_seed_renders_2048_squares() -> None:
    settings = services_of(create_app(Config(store="memory://"))).upscaler.settings
    assert settings.target_for("upscaleImageCreative") == settings.target_for("upscaleImageConservative") == 2048**2
