"""Field-level validation against the bundled spec: one short message per problem."""

from __future__ import annotations

import io

import pytest
from flask.testing import FlaskClient

from tests.conftest import AUTH, CONSERVATIVE_PATH, CREATIVE_PATH, FAST_PATH
from tests.images import png


def errors_for(client: FlaskClient, path: str, **fields: str) -> list[str]:
    data = {"image": (io.BytesIO(png(64, 64)), "in.png", "image/png"), **fields}
    response = client.post(path, data=data, headers=AUTH)
    assert response.status_code == 400, response.get_json()
    body = response.get_json()
    assert body["name"] == "bad_request"
    assert len(body["id"]) == 32
    errors: list[str] = body["errors"]
    return errors


@pytest.mark.parametrize(
    ("path", "fields", "expected"),
    [
        (CONSERVATIVE_PATH, {}, ["prompt: required"]),
        (CONSERVATIVE_PATH, {"prompt": ""}, ["prompt: must not be empty"]),
        (CREATIVE_PATH, {"prompt": "x" * 10001}, ["prompt: must be at most 10000 characters"]),
        (
            CREATIVE_PATH,
            {"prompt": "x", "negative_prompt": "n" * 10001},
            ["negative_prompt: must be at most 10000 characters"],
        ),
        (CREATIVE_PATH, {"prompt": "x", "seed": "4294967295"}, ["seed: must be ≤ 4294967294"]),
        (CREATIVE_PATH, {"prompt": "x", "seed": "-1"}, ["seed: must be ≥ 0"]),
        (CREATIVE_PATH, {"prompt": "x", "seed": "1.5"}, ["seed: must be an integer, got '1.5'"]),
        (CREATIVE_PATH, {"prompt": "x", "seed": " 42"}, ["seed: must be an integer, got ' 42'"]),
        (CREATIVE_PATH, {"prompt": "x", "seed": "4_2"}, ["seed: must be an integer, got '4_2'"]),
        (CREATIVE_PATH, {"prompt": "x", "seed": "+42"}, ["seed: must be an integer, got '+42'"]),
        (CREATIVE_PATH, {"prompt": "x", "creativity": "0.05"}, ["creativity: must be ≥ 0.1"]),
        (CONSERVATIVE_PATH, {"prompt": "x", "creativity": "0.1"}, ["creativity: must be ≥ 0.2"]),
        (CONSERVATIVE_PATH, {"prompt": "x", "creativity": "0.51"}, ["creativity: must be ≤ 0.5"]),
        (CREATIVE_PATH, {"prompt": "x", "creativity": "nan"}, ["creativity: must be a number, got 'nan'"]),
        (FAST_PATH, {"output_format": "gif"}, ["output_format: must be one of: jpeg, png, webp"]),
        (
            CREATIVE_PATH,
            {"prompt": "x", "style_preset": "watercolour"},
            [
                "style_preset: must be one of: enhance, anime, photographic, digital-art, comic-book, fantasy-art, "
                "line-art, analog-film, neon-punk, isometric, low-poly, origami, modeling-compound, cinematic, "
                "3d-model, pixel-art, tile-texture"
            ],
        ),
    ],
)
def test_each_bad_field_is_named(client: FlaskClient, path: str, fields: dict[str, str], expected: list[str]) -> None:
    assert errors_for(client, path, **fields) == expected


def test_every_problem_is_reported_at_once(client: FlaskClient) -> None:
    errors = errors_for(client, CREATIVE_PATH, prompt="", seed="x", output_format="bmp", creativity="2")
    assert errors == [
        "creativity: must be ≤ 0.5",
        "output_format: must be one of: jpeg, png, webp",
        "prompt: must not be empty",
        "seed: must be an integer, got 'x'",
    ]


@pytest.mark.parametrize(("seed", "creativity"), [("0", "0.1"), ("4294967294", "0.5"), ("42", ".3"), ("7", "3e-1")])
def test_canonical_numbers_are_accepted(client: FlaskClient, seed: str, creativity: str) -> None:
    data = {"image": (io.BytesIO(png(64, 64)), "in.png"), "prompt": "x", "seed": seed, "creativity": creativity}
    assert client.post(CREATIVE_PATH, data=data, headers=AUTH).status_code == 200


def test_missing_image_is_named(client: FlaskClient) -> None:
    response = client.post(FAST_PATH, data={"output_format": "png", "x": (io.BytesIO(b"1"), "x.bin")}, headers=AUTH)
    assert response.get_json()["errors"] == ["image: required"]


def test_json_body_is_refused_with_the_expected_content_type(client: FlaskClient) -> None:
    response = client.post(FAST_PATH, json={"image": "abc"}, headers=AUTH)
    assert response.status_code == 400
    assert response.get_json()["errors"] == ["content-type: must be multipart/form-data"]


def test_malformed_multipart_is_400(client: FlaskClient) -> None:
    response = client.post(
        FAST_PATH,
        data=b'--zz\r\nContent-Disposition: form-data; name="image"\r\n\r\nabc',
        content_type="multipart/form-data; boundary=zz",
        headers=AUTH,
    )
    assert response.status_code == 400
    assert response.get_json()["name"] == "bad_request"


def test_multipart_without_boundary_is_400(client: FlaskClient) -> None:
    response = client.post(FAST_PATH, data=b"abc", content_type="multipart/form-data", headers=AUTH)
    assert response.status_code == 400
    assert response.get_json()["errors"] == ["body: is not valid multipart/form-data"]


def test_empty_body_is_400(client: FlaskClient) -> None:
    response = client.post(FAST_PATH, headers=AUTH)
    assert response.status_code == 400
    assert response.get_json()["errors"] == ["body: required (send the fields as multipart/form-data)"]


def test_client_headers_are_bounded(client: FlaskClient) -> None:
    data = {"image": (io.BytesIO(png(64, 64)), "in.png")}
    response = client.post(FAST_PATH, data=data, headers={**AUTH, "stability-client-id": "c" * 257})
    assert response.status_code == 400
    assert response.get_json()["errors"] == ["stability-client-id: must be at most 256 characters"]


def test_error_text_never_carries_the_upload(client: FlaskClient) -> None:
    data = {"image": (io.BytesIO(png(1000, 1000)), "in.png"), "output_format": "tiff"}
    response = client.post(FAST_PATH, data=data, headers=AUTH)
    assert response.status_code == 400
    assert len(response.data) < 500
    assert b"PNG" not in response.data


def test_repeated_fields_are_refused_naming_them(client: FlaskClient) -> None:
    data = {
        "image": (io.BytesIO(png(64, 64)), "in.png"),
        "prompt": "x",
        "creativity": ["0.3", "9"],
        "negative_prompt": ["a", "b", "c"],
    }
    response = client.post(CREATIVE_PATH, data=data, headers=AUTH)
    assert response.status_code == 400
    assert response.get_json()["errors"] == [
        "creativity: sent 2 times; send each field once",
        "negative_prompt: sent 3 times; send each field once",
    ]


@pytest.mark.parametrize("method", ["HEAD", "OPTIONS"])
def test_methods_the_api_lacks_are_405_with_the_spec_allow_list(client: FlaskClient, method: str) -> None:
    response = client.open("/v2beta/results/abc", method=method, headers=AUTH)
    assert response.status_code == 405
    assert response.headers["Allow"] == "GET"
    wrong = client.put(FAST_PATH, headers=AUTH)
    assert wrong.headers["Allow"] == "POST"
