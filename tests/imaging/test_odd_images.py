"""Odd images through the HTTP API of a gunicorn mock: a clear 400 or a correct image, in bounded memory.

``tests/imaging/test_imaging.py`` decodes the fixtures in-process; here each odd kind
goes over HTTP to a real worker, whose peak resident memory (VmHWM) must stay
under a generous bound: decompression bombs inside the size limits, cut pixel
streams, 16-bit RGB(A), CMYK, palettes with transparency, animations and
giant EXIF blocks.
"""

from __future__ import annotations

import io
import struct
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
import requests
from PIL import Image

from bench.harness.processes import ServerProcesses, peak_rss_kib, server_processes
from bench.harness.server import running_server
from tests.images import decoded

pytestmark = pytest.mark.slow

AUTH = {"Authorization": "Bearer sk-odd"}
API = "/v2beta/stable-image/upscale"
MEMORY_BOUND_KIB = 600 * 1024
TOLERANCE = 12


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def raw_png(
    width: int, height: int, *, bit_depth: int, colour_type: int, pixel: bytes, idat: bytes | None = None
) -> bytes:
    """A PNG spelled out chunk by chunk (Pillow cannot write 16-bit RGB): every pixel is ``pixel``."""
    header = struct.pack(">IIBBBBB", width, height, bit_depth, colour_type, 0, 0, 0)
    if idat is None:
        idat = zlib.compress((b"\x00" + pixel * width) * height, 9)
    return b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", header) + png_chunk(b"IDAT", idat) + png_chunk(b"IEND", b"")


def saved(image: Image.Image, fmt: str, **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def animation(fmt: str) -> bytes:
    red, blue = Image.new("RGB", (64, 64), (255, 0, 0)), Image.new("RGB", (64, 64), (0, 0, 255))
    return saved(red, fmt, save_all=True, append_images=[blue], duration=100, loop=0)


def palette_with_transparency() -> bytes:
    """Left half palette index 0 (transparent), right half index 1 (opaque red)."""
    image = Image.new("P", (64, 64), 0)
    image.putpalette([0, 0, 0, 255, 0, 0] + [0] * 762)
    image.paste(1, (32, 0, 64, 64))
    return saved(image, "PNG", transparency=0)


def with_exif(fmt: str, size: int, *, junk: bool = False) -> bytes:
    """A 96x64 image whose EXIF block is ``size`` bytes: a rotation and a long description, or noise."""
    if junk:
        blob = b"MM\x00\x2a\x00\x00\x00\x08" + bytes((index * 7919) % 251 for index in range(size))
    else:
        exif = Image.Exif()
        exif[0x0112] = 6  # Orientation: rotate 90 degrees clockwise to display.
        exif[0x010E] = "d" * size  # ImageDescription
        blob = exif.tobytes()
    return saved(Image.new("RGB", (96, 64), (30, 90, 200)), fmt, exif=blob)


def cut(data: bytes) -> bytes:
    return data[: len(data) // 2]


SOLID = bytes((128, 32, 32))
RED_16 = struct.pack(">HHH", 65535, 0, 32768)


@dataclass(frozen=True)
class Upscaled:
    """A 200 image of this size and mode, with these colours (± a little) at these points."""

    size: tuple[int, int]
    mode: str
    colours: dict[tuple[int, int], tuple[int, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class Refused:
    error: str


Expected = Upscaled | Refused

TRUNCATED = "image: could not be decoded (the file is truncated or corrupt)"
CASES: dict[str, tuple[str, bytes, Expected]] = {
    "png declaring 1024x1024 in 4 KiB": (
        "fast",
        raw_png(1024, 1024, bit_depth=8, colour_type=2, pixel=SOLID),
        Upscaled((4096, 4096), "RGB", {(0, 0): (128, 32, 32), (4095, 4095): (128, 32, 32)}),
    ),
    "png declaring 3072x3072 (the conservative limit) in 32 KiB": (
        "conservative",
        raw_png(3072, 3072, bit_depth=8, colour_type=2, pixel=SOLID),
        Upscaled((3072, 3072), "RGB", {(1536, 1536): (128, 32, 32)}),
    ),
    "png declaring 65535x65535": (
        "fast",
        raw_png(65535, 65535, bit_depth=8, colour_type=2, pixel=SOLID, idat=zlib.compress(bytes(100))),
        Refused("image: must have at most 1,048,576 pixels"),
    ),
    "png declaring 1024x1024 with its pixel stream cut": (
        "fast",
        raw_png(1024, 1024, bit_depth=8, colour_type=2, pixel=SOLID, idat=zlib.compress(bytes(3 * 1024**2))[:300]),
        Refused(TRUNCATED),
    ),
    "truncated jpeg": ("fast", cut(saved(Image.new("RGB", (256, 256), (10, 200, 10)), "JPEG")), Refused(TRUNCATED)),
    "truncated webp": (
        "fast",
        cut(saved(Image.linear_gradient("L").convert("RGB"), "WEBP")),
        Refused("image: is not a decodable JPEG, PNG or WEBP image"),
    ),
    "16-bit rgb png": (
        "fast",
        raw_png(64, 64, bit_depth=16, colour_type=2, pixel=RED_16),
        Upscaled((256, 256), "RGB", {(128, 128): (255, 0, 128)}),
    ),
    "16-bit rgba png": (
        "fast",
        raw_png(64, 64, bit_depth=16, colour_type=6, pixel=RED_16 + struct.pack(">H", 32768)),
        Upscaled((256, 256), "RGBA", {(128, 128): (255, 0, 128, 128)}),
    ),
    "cmyk jpeg": (
        "fast",
        saved(Image.new("CMYK", (64, 64), (0, 255, 255, 0)), "JPEG", quality=95),
        Upscaled((256, 256), "RGB", {(128, 128): (255, 0, 0)}),
    ),
    "palette png with transparency": (
        "fast",
        palette_with_transparency(),
        Upscaled((256, 256), "RGBA", {(40, 128): (0, 0, 0, 0), (216, 128): (255, 0, 0, 255)}),
    ),
    "animated png (first frame)": ("fast", animation("PNG"), Upscaled((256, 256), "RGB", {(128, 128): (255, 0, 0)})),
    "animated webp (first frame)": ("fast", animation("WEBP"), Upscaled((256, 256), "RGB", {(128, 128): (255, 0, 0)})),
    "jpeg with a 60 KiB exif block": ("fast", with_exif("JPEG", 60_000), Upscaled((256, 384), "RGB")),
    "jpeg with 60 KiB of exif noise": ("fast", with_exif("JPEG", 60_000, junk=True), Upscaled((384, 256), "RGB")),
    "png with a 1 MiB exif block": ("fast", with_exif("PNG", 1 << 20), Upscaled((256, 384), "RGB")),
    "webp with a 1 MiB exif block": ("fast", with_exif("WEBP", 1 << 20), Upscaled((256, 384), "RGB")),
}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, ServerProcesses]]:
    folder = tmp_path_factory.mktemp("odd")
    options = ("--data-dir", str(folder), "--pending-polls", "0")
    with running_server(*options, log=folder / "server.log") as url:
        yield url, server_processes(url)


def upscale(url: str, operation: str, image: bytes) -> requests.Response:
    """The final answer: fast answers at once; an async job is polled once (``--pending-polls 0``)."""
    fields = {"output_format": "png"} if operation == "fast" else {"output_format": "png", "prompt": "odd"}
    answer = requests.post(
        f"{url}{API}/{operation}", files={"image": ("odd", image)}, data=fields, headers=AUTH, timeout=120
    )
    if operation == "fast" or answer.status_code != 200:
        return answer
    return requests.get(f"{url}/v2beta/results/{answer.json()['id']}", headers=AUTH, timeout=120)


@pytest.mark.parametrize("case", list(CASES))
def test_odd_image_is_refused_clearly_or_upscaled_correctly_in_bounded_memory(
    server: tuple[str, ServerProcesses], case: str
) -> None:
    url, processes = server
    operation, image, expected = CASES[case]
    answer = upscale(url, operation, image)
    if isinstance(expected, Refused):
        assert answer.status_code == 400, answer.text[:300]
        assert answer.json()["errors"] == [expected.error]
    else:
        assert answer.status_code == 200, answer.text[:300]
        result = decoded(answer.content)
        assert (result.size, result.mode) == (expected.size, expected.mode)
        for point, colour in expected.colours.items():
            found = result.getpixel(point)
            assert isinstance(found, tuple), found
            assert all(abs(a - b) <= TOLERANCE for a, b in zip(found, colour, strict=True)), (point, found)
    (worker,) = processes.workers
    assert server_processes(url) == processes, "a worker died and was replaced"
    assert peak_rss_kib(worker) < MEMORY_BOUND_KIB
