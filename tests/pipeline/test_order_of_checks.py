"""Production judges a request's fields before its key, under both profiles (observed 2026-09-22).

A bad form with a missing or wrong key answers the whole 400 list; only a good
form without a usable key is a 401. The seed document says nothing about the
order, so both profiles follow production.
"""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from mockserver import Config
from mockserver.errors import SECURITY_LINE
from tests.conftest import CONSERVATIVE_PATH, FAST_PATH, Upload, checked_client
from tests.images import png

PROFILES = ["seed", "live"]
BAD_FORM_LINES = ["creativity: must be ≤ 0.5", "output_format: must be one of: jpeg, png, webp"]


def client_for(profile: str, **config: object) -> FlaskClient:
    return checked_client(Config(store="memory://", profile=profile, target_pixels=64 * 64, **config))  # type: ignore[arg-type]


@pytest.mark.parametrize("profile", PROFILES)
@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer "}, {"Authorization": "Bearer sk-not-a-key"}])
def test_bad_fields_without_a_usable_key_answer_every_field_line(
    profile: str, headers: dict[str, str], upload: Upload
) -> None:
    client = client_for(profile, api_keys=("sk-the-key",))
    form = upload(png(64, 64), prompt="a quiet harbour", creativity="0.9", output_format="gif")
    response = client.post(CONSERVATIVE_PATH, data=form, headers=headers)
    assert response.status_code == 400, response.get_data(as_text=True)
    body = response.get_json()
    assert body["name"] == "bad_request"
    assert sorted(body["errors"]) == BAD_FORM_LINES
    assert SECURITY_LINE not in body["errors"]


@pytest.mark.parametrize("profile", PROFILES)
def test_good_fields_without_a_key_are_a_401(profile: str, upload: Upload) -> None:
    client = client_for(profile)
    response = client.post(FAST_PATH, data=upload(png(32, 32)))
    assert response.status_code == 401
    assert response.get_json()["errors"] == [SECURITY_LINE]


@pytest.mark.parametrize("profile", PROFILES)
def test_good_fields_with_a_wrong_key_are_a_401(profile: str, upload: Upload) -> None:
    client = client_for(profile, api_keys=("sk-the-key",))
    response = client.post(FAST_PATH, data=upload(png(32, 32)), headers={"Authorization": "Bearer sk-other"})
    assert response.status_code == 401
    assert response.get_json()["name"] == "unauthorized"


@pytest.mark.parametrize("profile", PROFILES)
def test_a_bad_request_without_a_key_is_journaled_with_its_lines_and_no_key(profile: str, upload: Upload) -> None:
    client = client_for(profile)
    client.post(FAST_PATH, data=upload(png(32, 32), output_format="gif"))
    (record,) = client.get("/_mock/requests").get_json()["requests"]
    assert (record["status"], record["valid"], record["key"]) == (400, False, None)
    assert record["errors"] == ["output_format: must be one of: jpeg, png, webp"]


@pytest.mark.parametrize("profile", PROFILES)
def test_what_stabilitys_own_node_sends_is_taken(profile: str, upload: Upload) -> None:
    """Unknown form fields are ignored, as production does (Stability's ComfyUI node sends
    ``api_key_override`` and ``style``); the largest seed is taken and reported back."""
    client = client_for(profile)
    form = upload(png(64, 64), prompt="a harbour", seed="4294967294", api_key_override="", style="x")
    answer = client.post(CONSERVATIVE_PATH, data=form, headers={"Authorization": "sk-raw-key"})
    assert answer.status_code == 200, answer.get_data(as_text=True)
    if profile == "live":
        assert answer.headers["seed"] == "4294967294"
