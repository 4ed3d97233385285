"""What goes inside parts: images (good, odd, damaged) and field values (good, odd, not UTF-8).

Hypothesis draws a few compact choices (which image, where to flip a byte,
how long a value is) and the bytes are built from them: drawing 200 KiB
byte by byte would exhaust hypothesis' per-example budget and shrink badly.
"""

from __future__ import annotations

from functools import cache

from hypothesis import strategies as st

from bench import ROOT
from bench.harness.images import encoded, photo

FIXTURES = ROOT / "fixtures"
#: Odd fixtures the API answers 400 or an image for, never anything else.
ODD_FIXTURES = (
    "truncated.png",
    "not-supported.gif",
    "bomb-12000x12000.png",
    "animated.png",
    "animated.webp",
    "cmyk.jpg",
    "palette-transparent.png",
    "grey-16bit.png",
    "exif-rotated-96x64.jpg",
    "alpha.png",
    "wide-320x128.png",
)

FIELDS = ("prompt", "negative_prompt", "seed", "output_format", "creativity", "style_preset")
STYLE_PRESETS = ("anime", "photographic", "pixel-art", "comic-book", "3d-model", "line-art")


@cache
def good_images() -> tuple[bytes, ...]:
    """Small images every operation accepts (64x64 is within every size rule)."""
    square = photo(64)
    translucent = photo(96).resize((96, 64))
    translucent.putalpha(128)
    return (encoded(square, "PNG"), encoded(square, "JPEG"), encoded(square, "WEBP"), encoded(translucent, "PNG"))


@cache
def odd_images() -> tuple[bytes, ...]:
    return tuple((FIXTURES / name).read_bytes() for name in ODD_FIXTURES)


@st.composite
def damaged_image(draw: st.DrawFn) -> bytes:
    """A good image with a few bytes overwritten, cut, or spliced in."""
    data = bytearray(draw(st.sampled_from(good_images())))
    for _ in range(draw(st.integers(1, 6))):
        if not data:
            break
        position = draw(st.integers(0, len(data) - 1))
        how = draw(st.sampled_from(("flip", "cut", "splice", "truncate")))
        if how == "flip":
            data[position] = draw(st.integers(0, 255))
        elif how == "cut":
            del data[position : position + draw(st.integers(1, 64))]
        elif how == "splice":
            data[position:position] = draw(st.binary(min_size=1, max_size=16))
        else:
            del data[position:]
    return bytes(data)


def images() -> st.SearchStrategy[bytes]:
    """Image part payloads, good ones most often."""
    return st.one_of(
        st.sampled_from(good_images()),
        st.sampled_from(good_images()),
        st.sampled_from(odd_images()),
        damaged_image(),
        st.just(b""),
        st.binary(max_size=256),
        st.sampled_from((b"GIF89a", b"\x89PNG\r\n\x1a\n", b"RIFF\x00\x00\x00\x00WEBPVP8 ", b"\xff\xd8\xff")),
    )


@st.composite
def long_text(draw: st.DrawFn) -> bytes:
    """A long value (up to 200 KiB) built from a short drawn unit."""
    unit = draw(st.sampled_from((b"a", b"sun ", "\u00e9t\u00e9 ".encode(), b"\xff", b"%", b'"', b"\r\n", b"--")))
    return unit * draw(st.integers(1, 200 * 1024 // len(unit)))


def good_values(field: str) -> st.SearchStrategy[bytes]:
    """Values the API accepts for ``field``."""
    choices: dict[str, st.SearchStrategy[str]] = {
        "prompt": st.sampled_from(("a sunny landscape", "cat", "x" * 500)),
        "negative_prompt": st.sampled_from(("blurry", "")),
        "seed": st.integers(0, 4_294_967_294).map(str),
        "output_format": st.sampled_from(("png", "jpeg", "webp")),
        "creativity": st.sampled_from(("0.2", "0.35", ".3", "3e-1", "0.5")),
        "style_preset": st.sampled_from(STYLE_PRESETS),
    }
    return choices.get(field, st.just("x")).map(str.encode)


def odd_values() -> st.SearchStrategy[bytes]:
    """Values that break something: numbers at the edges, not UTF-8, controls, huge."""
    return st.one_of(
        st.sampled_from(
            (
                b"",
                b" 42",
                b"4_2",
                b"+42",
                b"-1",
                b"1e400",
                b"-1e400",
                b"nan",
                b"NaN",
                b"inf",
                b"-0",
                b"0x10",
                "\u0663".encode(),  # ARABIC-INDIC DIGIT THREE: int() would take it
                b"9" * 400,
                b"4294967295",
                b"1.5",
                b"null",
                b"true",
                b"[]",
                b"{}",
                b"png\x00",
                b"PNG",
                b"gif",
                b"\xff\xfe\xfd",
                b"\xc3\x28",
                b"\xed\xa0\x80",  # an encoded surrogate: not UTF-8
                b"\x00",
                b"%00",
                b"%",
                b'"',
                b"\r\n--",
            )
        ),
        st.text(max_size=40).map(lambda text: text.encode("utf-8", "surrogatepass")),
        st.binary(max_size=40),
        long_text(),
    )


def field_values(field: str) -> st.SearchStrategy[bytes]:
    return st.one_of(good_values(field), good_values(field), odd_values())
