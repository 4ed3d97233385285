"""Production's words for its refusals, and its two 422s staged by name (under both profiles).

Source: Stability's own document (2026-09-22 snapshot) and a logged run against
production the same day; see spec/CHANGES.md. The seed document says nothing
about these texts, so both profiles use production's.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from flask.testing import FlaskClient

from mockserver import Config, MemoryStore, create_app
from mockserver.errors import CONTENT_MODERATION_LINE, PUBLIC_FIGURE_LINE
from tests.conftest import AUTH, CREATIVE_PATH, FAST_PATH, SpecCheckedClient, Upload, checked_client
from tests.images import png

PROFILES = ["seed", "live"]
LANGUAGE_LINE = "English is the only supported language for this service."


def client_for(profile: str, **config: object) -> FlaskClient:
    return checked_client(Config(store="memory://", profile=profile, target_pixels=64 * 64, **config))  # type: ignore[arg-type]


@pytest.mark.parametrize("profile", PROFILES)
def test_a_moderated_prompt_gets_productions_403_text(profile: str, upload: Upload) -> None:
    client = client_for(profile, moderation_words=("forbidden",))
    response = client.post(CREATIVE_PATH, data=upload(png(64, 64), prompt="a Forbidden tower"), headers=AUTH)
    assert response.status_code == 403
    assert response.get_json()["name"] == "content_moderation"
    assert response.get_json()["errors"] == [CONTENT_MODERATION_LINE]
    assert "you were not charged" in CONTENT_MODERATION_LINE


@pytest.mark.parametrize("profile", PROFILES)
def test_a_foreign_prompt_gets_productions_422_text(profile: str, upload: Upload) -> None:
    client = client_for(profile, language_words=("bonjour",))
    response = client.post(CREATIVE_PATH, data=upload(png(64, 64), prompt="bonjour le port"), headers=AUTH)
    assert (response.status_code, response.get_json()["errors"]) == (422, [LANGUAGE_LINE])


@pytest.mark.parametrize("profile", PROFILES)
@pytest.mark.parametrize(
    ("limit", "block", "words"),
    [
        ("3/10s", 60.0, "of 3 requests within a 10 second period, and have been timed out for 60 seconds."),
        ("2/2.5s", 5.0, "of 2 requests within a 2.5 second period, and have been timed out for 5 seconds."),
    ],
)
def test_the_429_text_states_the_limit_in_force(
    profile: str, limit: str, block: float, words: str, upload: Upload
) -> None:
    client = client_for(profile, rate_limit=limit, rate_limit_block_seconds=block)
    requests = int(limit.split("/")[0])
    answers = [client.post(FAST_PATH, data=upload(png(32, 32)), headers=AUTH) for _ in range(requests + 2)]
    assert [answer.status_code for answer in answers] == [200] * requests + [429, 429]
    for answer in answers[requests:]:
        assert answer.get_json()["errors"] == ["You have exceeded the rate limit " + words]


@pytest.mark.parametrize("profile", PROFILES)
@pytest.mark.parametrize(
    ("error", "line"),
    [("public_figure", PUBLIC_FIGURE_LINE), ("invalid_language", LANGUAGE_LINE), (None, LANGUAGE_LINE)],
)
def test_a_422_is_staged_by_its_name(profile: str, error: str | None, line: str, upload: Upload) -> None:
    client = client_for(profile)
    fault = {"operation": "upscaleImageFast", "status": 422, **({"error": error} if error else {})}
    assert client.post("/_mock/faults", json=fault).status_code == 201
    response = client.post(FAST_PATH, data=upload(png(32, 32)), headers=AUTH)
    assert response.status_code == 422
    assert (response.get_json()["name"], response.get_json()["errors"]) == (error or "invalid_language", [line])


@pytest.mark.parametrize(
    ("fault", "line"),
    [
        ({"status": 429, "error": "public_figure"}, "error: public_figure is answered with status 422, not 429"),
        ({"error": "public_figure"}, "error: needs the status it is answered with (422)"),
        ({"status": 422, "error": "not_found"}, "error: must be one of"),
        ({"status": 422, "error": 7}, "error: "),
    ],
)
def test_an_error_that_does_not_fit_its_status_is_refused(fault: dict[str, object], line: str) -> None:
    response = client_for("seed").post("/_mock/faults", json=fault)
    assert response.status_code == 400
    assert any(found.startswith(line) for found in response.get_json()["errors"]), response.get_json()


def test_a_scenario_stages_a_public_figure(tmp_path: Path, upload: Upload) -> None:
    path = tmp_path / "faces.yml"
    path.write_text("faults:\n  - {operation: upscaleImageCreative, status: 422, error: public_figure}\n")
    app = create_app(Config(store="memory://", scenario=path, target_pixels=64 * 64), store=MemoryStore())
    app.test_client_class = SpecCheckedClient
    response = app.test_client().post(CREATIVE_PATH, data=upload(png(64, 64), prompt="a portrait"), headers=AUTH)
    assert (response.status_code, response.get_json()["name"]) == (422, "public_figure")
