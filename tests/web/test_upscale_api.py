"""The three upscale endpoints end to end, through the spec-checked test client."""

from __future__ import annotations

import base64
import io
from collections.abc import Callable

import pytest
from flask.testing import FlaskClient
from PIL import Image

from mockserver import Config, MemoryStore, create_app
from tests.conftest import AUTH, CONSERVATIVE_PATH, CREATIVE_PATH, FAST_PATH, Upload
from tests.images import decoded, image_bytes, jpeg, png, webp


@pytest.mark.parametrize("make", [png, jpeg, webp])
@pytest.mark.parametrize("output_format", ["png", "jpeg", "webp"])
def test_fast_is_four_times_each_side_in_the_requested_format(
    client: FlaskClient, upload: Upload, make: Callable[[int, int], bytes], output_format: str
) -> None:
    response = client.post(FAST_PATH, data=upload(make(48, 40), output_format=output_format), headers=AUTH)
    assert response.status_code == 200
    assert response.mimetype == f"image/{output_format}"
    assert response.headers["finish-reason"] == "SUCCESS"
    assert int(response.headers["seed"]) > 0
    assert decoded(response.data).size == (192, 160)


def test_fast_defaults_to_png(client: FlaskClient, upload: Upload) -> None:
    response = client.post(FAST_PATH, data=upload(png(32, 32)), headers=AUTH)
    assert response.mimetype == "image/png"
    assert decoded(response.data).format == "PNG"


def test_fast_json_envelope_carries_the_same_bytes(client: FlaskClient, upload: Upload) -> None:
    raw = client.post(FAST_PATH, data=upload(png(40, 40)), headers=AUTH)
    enveloped = client.post(FAST_PATH, data=upload(png(40, 40)), headers={**AUTH, "Accept": "application/json"})
    assert enveloped.status_code == 200
    assert enveloped.headers["content-type"] == "application/json; type=image/png"
    body = enveloped.get_json()
    assert base64.b64decode(body["image"]) == raw.data
    assert body["finish_reason"] == "SUCCESS"
    assert body["seed"] == int(raw.headers["seed"])
    assert "result" not in body


def test_output_is_byte_identical_across_calls_and_apps(client: FlaskClient, upload: Upload) -> None:
    first = client.post(FAST_PATH, data=upload(jpeg(64, 64), output_format="webp"), headers=AUTH)
    second = client.post(FAST_PATH, data=upload(jpeg(64, 64), output_format="webp"), headers=AUTH)
    other_app = create_app(Config(store="memory://"), store=MemoryStore()).test_client()
    third = other_app.post(FAST_PATH, data=upload(jpeg(64, 64), output_format="webp"), headers=AUTH)
    assert first.data == second.data == third.data
    assert first.headers["seed"] == second.headers["seed"] == third.headers["seed"]


def test_bare_key_is_accepted(client: FlaskClient, upload: Upload) -> None:
    response = client.post(FAST_PATH, data=upload(png(32, 32)), headers={"Authorization": "sk-bare-key"})
    assert response.status_code == 200


@pytest.mark.parametrize("header", [None, "", "Bearer", "Bearer   "])
def test_missing_or_empty_key_is_401(client: FlaskClient, upload: Upload, header: str | None) -> None:
    headers = {} if header is None else {"Authorization": header}
    response = client.post(FAST_PATH, data=upload(png(32, 32)), headers=headers)
    assert response.status_code == 401
    body = response.get_json()
    assert body["name"] == "unauthorized"
    assert body["errors"] == ["authorization: invalid or missing header value"]
    assert len(body["id"]) == 32


def test_configured_keys_reject_others(upload: Upload) -> None:
    app = create_app(Config(store="memory://", api_keys=("sk-good",)), store=MemoryStore())
    client = app.test_client()
    accepted = client.post(FAST_PATH, data=upload(png(32, 32)), headers={"Authorization": "Bearer sk-good"})
    assert accepted.status_code == 200
    refused = client.post(FAST_PATH, data=upload(png(32, 32)), headers={"Authorization": "Bearer sk-bad"})
    assert refused.status_code == 401
    assert refused.get_json()["errors"] == ["authorization: the API key is not valid"]


@pytest.mark.parametrize(
    ("path", "size", "message"),
    [
        (FAST_PATH, (31, 64), "image: each side must be at least 32 pixels (got 31x64)"),
        (FAST_PATH, (1537, 64), "image: each side must be at most 1536 pixels (got 1537x64)"),
        (FAST_PATH, (1025, 1025), "image: must have between 1,024 and 1,048,576 pixels (got 1025x1025 = 1,050,625)"),
        (CONSERVATIVE_PATH, (63, 200), "image: each side must be at least 64 pixels (got 63x200)"),
        (CONSERVATIVE_PATH, (64, 161), "image: aspect ratio must be between 1:2.5 and 2.5:1 (got 64:161)"),
        (
            CREATIVE_PATH,
            (1025, 1024),
            "image: must have between 4,096 and 1,048,576 pixels (got 1025x1024 = 1,049,600)",
        ),
    ],
)
def test_image_rules_per_operation(
    client: FlaskClient, upload: Upload, path: str, size: tuple[int, int], message: str
) -> None:
    response = client.post(path, data=upload(png(*size), prompt="a photo"), headers=AUTH)
    assert response.status_code == 400
    assert message in response.get_json()["errors"]


def test_conservative_accepts_a_wide_image_at_the_aspect_limit(client: FlaskClient, upload: Upload) -> None:
    response = client.post(CONSERVATIVE_PATH, data=upload(png(160, 64), prompt="wide"), headers=AUTH)
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "image: is empty"),
        (b"not an image at all", "image: is not a decodable JPEG, PNG or WEBP image"),
        (
            image_bytes(64, 64, fmt="GIF", mode="P", color=3),
            "image: format GIF is not supported; send JPEG, PNG or WEBP",
        ),
        (image_bytes(64, 64, fmt="BMP"), "image: format BMP is not supported; send JPEG, PNG or WEBP"),
        (png(64, 64)[:120], "image: could not be decoded (the file is truncated or corrupt)"),
    ],
)
def test_undecodable_uploads_are_400(client: FlaskClient, upload: Upload, data: bytes, message: str) -> None:
    response = client.post(FAST_PATH, data=upload(data), headers=AUTH)
    assert response.status_code == 400
    assert response.get_json()["errors"] == [message]


def test_text_part_named_image_is_not_an_image(client: FlaskClient) -> None:
    data = {"image": "iVBORw0KGgo=", "other": (io.BytesIO(b"x"), "x.bin")}
    response = client.post(FAST_PATH, data=data, headers=AUTH)
    assert response.status_code == 400
    assert response.get_json()["errors"] == ["image: must be a file part (an uploaded image), not a text field"]


def test_oversized_body_is_413_before_auth(client: FlaskClient) -> None:
    data = {"image": (io.BytesIO(b"\0" * (10 * 1024 * 1024 + 1)), "big.png", "image/png")}
    response = client.post(FAST_PATH, data=data)
    assert response.status_code == 413
    assert response.get_json()["name"] == "payload_too_large"


def test_body_just_under_the_limit_is_read(client: FlaskClient) -> None:
    filler = "x" * (10 * 1024 * 1024 - 4096)
    response = client.post(FAST_PATH, data={"image": (io.BytesIO(png(32, 32)), "a.png"), "junk": filler}, headers=AUTH)
    assert response.status_code == 200


def test_decompression_bomb_is_refused_before_decoding(client: FlaskClient, upload: Upload) -> None:
    bomb = Image.new("L", (20_000, 20_000))
    buffer = io.BytesIO()
    bomb.save(buffer, "PNG", optimize=True)
    assert len(buffer.getvalue()) < 1_000_000
    response = client.post(FAST_PATH, data=upload(buffer.getvalue()), headers=AUTH)
    assert response.status_code == 400
    assert response.get_json()["errors"] == ["image: must have at most 1,048,576 pixels"]


def test_accept_that_excludes_both_forms_is_400(client: FlaskClient, upload: Upload) -> None:
    response = client.post(FAST_PATH, data=upload(png(32, 32)), headers={**AUTH, "Accept": "text/html"})
    assert response.status_code == 400
    assert response.get_json()["errors"] == ["accept: must be image/* or application/json"]


@pytest.mark.parametrize("path", [CONSERVATIVE_PATH, CREATIVE_PATH])
def test_async_endpoints_answer_a_64_char_id(client: FlaskClient, upload: Upload, path: str) -> None:
    response = client.post(path, data=upload(png(64, 64), prompt="a cat"), headers=AUTH)
    assert response.status_code == 200
    generation_id = response.get_json()["id"]
    assert len(generation_id) == 64
    assert all(char in "0123456789abcdef" for char in generation_id)


def test_unknown_path_and_wrong_method_answer_in_the_error_shape(client: FlaskClient) -> None:
    missing = client.get("/v2beta/stable-image/upscale/slow", headers=AUTH)
    assert missing.status_code == 404
    assert missing.get_json()["name"] == "not_found"
    wrong = client.put(FAST_PATH, headers=AUTH)
    assert wrong.status_code == 405
    assert "POST" in wrong.headers["Allow"]
    assert wrong.get_json()["name"] == "method_not_allowed"


def test_health_and_served_spec(client: FlaskClient) -> None:
    assert client.get("/_mock/health").get_json() == {"status": "ok"}
    served = client.get("/openapi.yml")
    assert served.status_code == 200
    assert b"url: http://localhost" in served.data
    assert b"/v2beta/results/{id}" in served.data
