"""Decoding odd inputs, output sizes, alpha, and byte-identical rendering across processes."""

from __future__ import annotations

import dataclasses
import io
import subprocess
import sys
from typing import TypedDict

import pytest
from PIL import Image

from mockserver.errors import BadRequest
from mockserver.imaging import (
    RULES_BY_OPERATION,
    EncodeSettings,
    RenderOrder,
    RenderSettings,
    decode,
    encode,
    output_size,
    render,
)
from tests.conftest import FIXTURES
from tests.images import decoded, png

FAST_RULES = RULES_BY_OPERATION["upscaleImageFast"]
SETTINGS = RenderSettings(target_pixels=256 * 256)


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


class OrderChange(TypedDict, total=False):
    """Some of :class:`RenderOrder`'s fields, to replace in an order."""

    operation_id: str
    output_format: str
    seed: int
    prompt: str
    negative_prompt: str
    creativity: float
    style_preset: str | None
    content_filtered: bool


def pixel(image: Image.Image, xy: tuple[int, int]) -> tuple[int, ...]:
    """The bands of one pixel of a multi-band image."""
    value = image.getpixel(xy)
    assert isinstance(value, tuple)
    return value


def extrema(band: Image.Image) -> tuple[float, float]:
    """The least and greatest value of a one-band image."""
    low, high = band.getextrema()
    assert not isinstance(low, tuple) and not isinstance(high, tuple)
    return low, high


@pytest.mark.parametrize(
    ("name", "mode", "size"),
    [
        ("sample.png", "RGB", (256, 256)),
        ("sample.jpg", "RGB", (256, 256)),
        ("sample.webp", "RGB", (256, 256)),
        ("alpha.png", "RGBA", (256, 256)),
        ("alpha.webp", "RGBA", (256, 256)),
        ("cmyk.jpg", "RGB", (256, 256)),
        ("palette-transparent.png", "RGBA", (256, 256)),
        ("grey-16bit.png", "RGB", (128, 96)),
        ("exif-rotated-96x64.jpg", "RGB", (64, 96)),
        ("animated.png", "RGB", (128, 128)),
        ("animated.webp", "RGBA", (128, 128)),
    ],
)
def test_accepted_kinds_decode_to_rgb_or_rgba(name: str, mode: str, size: tuple[int, int]) -> None:
    source = decode(fixture(name), FAST_RULES)
    assert source.image.mode == mode
    assert (source.width, source.height) == size


def test_sixteen_bit_grey_keeps_its_gradient() -> None:
    source = decode(fixture("grey-16bit.png"), FAST_RULES)
    row = [pixel(source.image, (x, 0))[0] for x in (0, 64, 127)]
    assert row[0] < 5 and 120 < row[1] < 135 and row[2] > 250


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("truncated.png", "image: could not be decoded (the file is truncated or corrupt)"),
        ("not-supported.gif", "image: format GIF is not supported; send JPEG, PNG or WEBP"),
        ("bomb-12000x12000.png", "image: must have at most 1,048,576 pixels"),
    ],
)
def test_refused_inputs_say_why(name: str, message: str) -> None:
    with pytest.raises(BadRequest) as caught:
        decode(fixture(name), FAST_RULES)
    assert caught.value.errors == [message]


def test_bomb_within_pillows_limit_is_refused_by_the_rules_before_decoding() -> None:
    data = png(1200, 1200)
    with pytest.raises(BadRequest) as caught:
        decode(data, FAST_RULES)
    assert caught.value.errors == ["image: must have between 1,024 and 1,048,576 pixels (got 1200x1200 = 1,440,000)"]


@pytest.mark.parametrize(
    ("operation", "size", "target", "expected"),
    [
        ("upscaleImageFast", (512, 512), 0, (2048, 2048)),
        ("upscaleImageFast", (33, 1536), 0, (132, 6144)),
        ("upscaleImageConservative", (512, 512), 4 * 1024 * 1024, (2048, 2048)),
        ("upscaleImageConservative", (3000, 3000), 4 * 1024 * 1024, (3000, 3000)),
        ("upscaleImageCreative", (1024, 512), 4 * 1024 * 1024, (2896, 1448)),
    ],
)
def test_output_size_rule(operation: str, size: tuple[int, int], target: int, expected: tuple[int, int]) -> None:
    assert output_size(operation, *size, target_pixels=max(target, 1)) == expected


@pytest.mark.parametrize("output_format", ["png", "webp"])
def test_alpha_is_kept_for_png_and_webp(output_format: str) -> None:
    result = render(
        decode(fixture("alpha.png"), FAST_RULES), RenderOrder("upscaleImageFast", output_format, 1), SETTINGS
    )
    image = decoded(result.data)
    assert image.mode == "RGBA"
    alpha = image.getchannel("A")
    assert extrema(alpha)[0] < 20 and extrema(alpha)[1] > 235


def test_alpha_is_flattened_onto_white_for_jpeg() -> None:
    source = decode(fixture("alpha.png"), FAST_RULES)
    image = decoded(render(source, RenderOrder("upscaleImageFast", "jpeg", 1), SETTINGS).data)
    assert image.mode == "RGB"
    assert min(pixel(image, (2, 2))) > 240


def test_exif_orientation_is_applied_to_the_output() -> None:
    source = decode(fixture("exif-rotated-96x64.jpg"), FAST_RULES)
    result = render(source, RenderOrder("upscaleImageFast", "png", 1), SETTINGS)
    assert decoded(result.data).size == (256, 384)


def test_conservative_stays_close_to_a_plain_resize() -> None:
    source = decode(fixture("sample.png"), RULES_BY_OPERATION["upscaleImageConservative"])
    plain = source.image.resize((512, 512), Image.Resampling.LANCZOS)
    order = RenderOrder("upscaleImageConservative", "png", 5, prompt="x", creativity=0.35)
    result = decoded(render(source, order, RenderSettings(target_pixels=512 * 512)).data).convert("RGB")
    difference = sum(abs(a - b) for a, b in zip(plain.tobytes(), result.tobytes(), strict=True)) / (512 * 512 * 3)
    assert difference < 4


@pytest.mark.parametrize(
    "change", [{"seed": 6}, {"prompt": "y"}, {"negative_prompt": "blur"}, {"creativity": 0.351}], ids=str
)
def test_conservative_output_depends_on_every_field_the_live_api_reads(change: OrderChange) -> None:
    """Seed, prompt, negative prompt and creativity each change the bytes (0.35 → 0.351 too,
    which the sharpening alone rounds away), so a client that alters one is caught."""
    source = decode(fixture("sample.png"), RULES_BY_OPERATION["upscaleImageConservative"])
    base = RenderOrder("upscaleImageConservative", "png", 5, prompt="x", creativity=0.35)
    changed = dataclasses.replace(base, **change)
    assert render(source, base, SETTINGS).data != render(source, changed, SETTINGS).data


@pytest.mark.parametrize("style", ["anime", "line-art", "pixel-art", "neon-punk", "3d-model", None])
def test_creative_styles_change_the_image_visibly(style: str | None) -> None:
    source = decode(fixture("sample.png"), RULES_BY_OPERATION["upscaleImageCreative"])
    base = RenderOrder("upscaleImageCreative", "png", 9, prompt="x", creativity=0.3)
    plain = decoded(render(source, base, SETTINGS).data).convert("RGB")
    styled_order = RenderOrder("upscaleImageCreative", "png", 10, prompt="x", creativity=0.3, style_preset=style)
    styled = decoded(render(source, styled_order, SETTINGS).data).convert("RGB")
    difference = sum(abs(a - b) for a, b in zip(plain.tobytes(), styled.tobytes(), strict=True)) / len(plain.tobytes())
    assert difference > 3


RENDER_IN_ANOTHER_PROCESS = """
import hashlib, sys
from pathlib import Path
from mockserver.imaging import RULES_BY_OPERATION, RenderOrder, RenderSettings, decode, render
data = Path(sys.argv[1]).read_bytes()
source = decode(data, RULES_BY_OPERATION["upscaleImageCreative"])
for fmt in ("png", "jpeg", "webp"):
    order = RenderOrder("upscaleImageCreative", fmt, 123, prompt="p", creativity=0.4, style_preset="anime")
    print(hashlib.sha256(render(source, order, RenderSettings(target_pixels=256 * 256)).data).hexdigest())
"""


def test_rendering_is_byte_identical_across_processes() -> None:
    digests = [
        subprocess.run(
            [sys.executable, "-c", RENDER_IN_ANOTHER_PROCESS, str(FIXTURES / "sample.webp")],
            check=True,
            capture_output=True,
            text=True,
            env={"PYTHONHASHSEED": str(seed), "PATH": "", "PYTHONPATH": str(FIXTURES.parent)},
        ).stdout.split()
        for seed in (1, 2)
    ]
    assert len(digests[0]) == 3
    assert digests[0] == digests[1]


def test_a_grainy_image_upscaled_to_webp_does_not_fail_the_fast_encoder() -> None:
    """libwebp's fastest method overflows its first partition ("encoding error 6") on large noisy
    images; the encoder falls back to a slower method instead of failing a valid request."""
    grainy = Image.effect_noise((1024, 1024), 48).convert("RGB").resize((4096, 4096), Image.Resampling.LANCZOS)
    data = encode(grainy, "webp", EncodeSettings())
    assert Image.open(io.BytesIO(data)).size == (4096, 4096)
    assert encode(grainy, "webp", EncodeSettings()) == data
