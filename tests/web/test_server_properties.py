"""Property tests: valid requests succeed with the right size; one broken field is named."""

from __future__ import annotations

import io
from collections.abc import Mapping

import pytest
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug.test import TestResponse

from mockserver import Config, MemoryStore, create_app
from mockserver.imaging import output_size
from tests.conftest import AUTH, CONSERVATIVE_PATH, CREATIVE_PATH, FAST_PATH, SMALL_TARGET, SpecCheckedClient
from tests.images import decoded, image_bytes

STYLE_PRESETS = [
    "enhance", "anime", "photographic", "digital-art", "comic-book", "fantasy-art", "line-art", "analog-film",
    "neon-punk", "isometric", "low-poly", "origami", "modeling-compound", "cinematic", "3d-model", "pixel-art",
    "tile-texture",
]  # fmt: skip
OPERATIONS = {
    FAST_PATH: "upscaleImageFast",
    CONSERVATIVE_PATH: "upscaleImageConservative",
    CREATIVE_PATH: "upscaleImageCreative",
}
PROPERTY_SETTINGS = settings(
    max_examples=40, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)


@pytest.fixture(scope="module")
def client() -> FlaskClient:
    app = create_app(Config(store="memory://", pending_polls=0, target_pixels=SMALL_TARGET), store=MemoryStore())
    app.test_client_class = SpecCheckedClient
    return app.test_client()


@st.composite
def uploads(draw: st.DrawFn, min_side: int, max_side: int = 160) -> tuple[bytes, int, int, str]:
    """A small valid image: format, size, mode (alpha or not).

    Sides in ``min_side..160`` meet every operation's pixel and aspect rules
    (160 / 64 is exactly the conservative limit of 2.5).
    """
    width = draw(st.integers(min_side, max_side))
    height = draw(st.integers(min_side, max_side))
    fmt = draw(st.sampled_from(["PNG", "JPEG", "WEBP"]))
    mode = "RGB" if fmt == "JPEG" else draw(st.sampled_from(["RGB", "RGBA"]))
    color = tuple(draw(st.integers(0, 255)) for _ in mode)
    return image_bytes(width, height, fmt=fmt, mode=mode, color=color), width, height, fmt


prompts = st.text(st.characters(codec="utf-8", exclude_categories=["Cs", "Cc"]), min_size=1, max_size=200)
seeds = st.integers(0, 4_294_967_294)


def post(client: FlaskClient, path: str, image: bytes, fields: Mapping[str, object]) -> TestResponse:
    data = {
        "image": (io.BytesIO(image), "in.img", "application/octet-stream"),
        **{k: str(v) for k, v in fields.items()},
    }
    return client.post(path, data=data, headers=AUTH)


@PROPERTY_SETTINGS
@given(upload=uploads(min_side=32), output_format=st.sampled_from(["png", "jpeg", "webp"]))
def test_valid_fast_requests_are_four_times_each_side(
    client: FlaskClient, upload: tuple[bytes, int, int, str], output_format: str
) -> None:
    image, width, height, _ = upload
    response = post(client, FAST_PATH, image, {"output_format": output_format})
    assert response.status_code == 200, response.get_json()
    assert decoded(response.data).size == (4 * width, 4 * height)
    assert response.mimetype == f"image/{output_format}"


@PROPERTY_SETTINGS
@given(
    path=st.sampled_from([CONSERVATIVE_PATH, CREATIVE_PATH]),
    upload=uploads(min_side=64),
    prompt=prompts,
    seed=seeds,
    output_format=st.sampled_from(["png", "jpeg", "webp"]),
    creativity=st.floats(0.2, 0.5),
    style=st.none() | st.sampled_from(STYLE_PRESETS),
)
def test_valid_async_requests_finish_with_the_rule_size(
    client: FlaskClient,
    path: str,
    upload: tuple[bytes, int, int, str],
    prompt: str,
    seed: int,
    output_format: str,
    creativity: float,
    style: str | None,
) -> None:
    image, width, height, _ = upload
    fields: dict[str, object] = {
        "prompt": prompt,
        "seed": seed,
        "output_format": output_format,
        "creativity": creativity,
    }
    if style and path == CREATIVE_PATH:
        fields["style_preset"] = style
    started = post(client, path, image, fields)
    assert started.status_code == 200, started.get_json()
    result = client.get(f"/v2beta/results/{started.get_json()['id']}", headers=AUTH)
    assert result.status_code == 200
    assert decoded(result.data).size == output_size(OPERATIONS[path], width, height, SMALL_TARGET)
    if seed:
        assert result.headers["seed"] == str(seed)


def _not_an_integer(text: str) -> bool:
    return not text.isascii() or not text.lstrip("-").isdigit()


BROKEN_FIELDS = st.one_of(
    st.tuples(st.just("seed"), st.integers(4_294_967_295, 2**63).map(str)),
    st.tuples(st.just("seed"), st.integers(max_value=-1).map(str)),
    st.tuples(st.just("seed"), st.text(min_size=1, max_size=12).filter(_not_an_integer)),
    st.tuples(st.just("creativity"), st.floats(0.51, 1e6).map(repr)),
    st.tuples(st.just("creativity"), st.floats(-1e6, 0.099).map(repr)),
    st.tuples(st.just("output_format"), st.text(max_size=8).filter(lambda t: t not in ("png", "jpeg", "webp"))),
    st.tuples(st.just("style_preset"), st.text(max_size=12).filter(lambda t: t not in STYLE_PRESETS)),
    st.tuples(st.just("prompt"), st.just("")),
    st.tuples(st.just("prompt"), st.integers(10_001, 12_000).map(lambda n: "p" * n)),
    st.tuples(st.just("negative_prompt"), st.integers(10_001, 12_000).map(lambda n: "n" * n)),
)


@PROPERTY_SETTINGS
@given(broken=BROKEN_FIELDS)
def test_one_broken_field_is_a_400_naming_it(client: FlaskClient, broken: tuple[str, str]) -> None:
    name, value = broken
    fields = {"prompt": "a valid prompt", name: value}
    image = image_bytes(64, 64)
    response = post(client, CREATIVE_PATH, image, fields)
    assert response.status_code == 400, (name, value)
    body = response.get_json()
    assert body["name"] == "bad_request"
    assert [line.split(":")[0] for line in body["errors"]] == [name]


@PROPERTY_SETTINGS
@given(width=st.integers(1, 2000), height=st.integers(1, 2000))
def test_fast_size_rules_match_the_published_limits(client: FlaskClient, width: int, height: int) -> None:
    ok = 32 <= width <= 1536 and 32 <= height <= 1536 and 1024 <= width * height <= 1_048_576
    image = image_bytes(width, height, fmt="PNG", mode="L", color=0)
    response = post(client, FAST_PATH, image, {"output_format": "jpeg"})
    assert response.status_code == (200 if ok else 400)
    if not ok:
        assert all(line.startswith("image: ") for line in response.get_json()["errors"])
