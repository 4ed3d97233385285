"""returns_exact_image says how the image differs: format, size, mode, the region of differing pixels."""

from __future__ import annotations

import io

from PIL import Image

from contract_tests.image_diff import describe_difference, difference_picture


def encoded(image: Image.Image, fmt: str = "PNG") -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt)
    return buffer.getvalue()


def test_a_changed_region_is_located() -> None:
    base = Image.new("RGB", (40, 30), "white")
    changed = base.copy()
    changed.paste((0, 0, 0), (10, 5, 14, 7))
    text = describe_difference(encoded(base), encoded(changed))
    assert text == "pixels differ in the region (10, 5)-(14, 7): 8 of 1,200 pixels, by up to 255 of 255"
    picture = difference_picture(encoded(base), encoded(changed))
    assert picture is not None
    assert Image.open(io.BytesIO(picture)).getbbox() == (10, 5, 14, 7)


def test_format_size_and_mode_are_named() -> None:
    base = Image.new("RGB", (40, 30), "white")
    assert describe_difference(encoded(base), encoded(base.resize((20, 15)).convert("L"), "JPEG")) == (
        "format JPEG where PNG was expected; size 20x15 where 40x30 was expected; mode L where RGB was expected"
    )
    assert difference_picture(encoded(base), encoded(base.resize((20, 15)))) is None


def test_same_pixels_differently_encoded_and_not_an_image() -> None:
    base = Image.new("RGB", (8, 8), "teal")
    assert describe_difference(encoded(base), encoded(base, "BMP")).endswith(
        "the same pixels, encoded differently (compression or metadata)"
    )
    assert describe_difference(encoded(base), b'{"id": "x"}') == (
        'the returned bytes are not an image (they start b\'{"id": "x"}\')'
    )
