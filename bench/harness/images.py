"""Deterministic, photo-like test images, and copies that differ only in their bytes.

A flat or noisy image would flatter or punish PNG; gradients, soft shapes and a
little grain compress like a photo. :func:`variant` splices a ``tEXt`` chunk into
a PNG, so each request carries different bytes (and misses the render cache)
while decoding to exactly the same pixels: the work bare Pillow does is the same.
"""

from __future__ import annotations

import io
import random
import struct
import zlib

from PIL import Image, ImageDraw, ImageFilter


def photo(size: int, seed: int = 1) -> Image.Image:
    """An RGB ``size``x``size`` image with gradients, soft ellipses and light grain."""
    gradient = Image.linear_gradient("L").resize((size, size))
    image = Image.merge("RGB", (gradient, Image.radial_gradient("L").resize((size, size)), gradient.rotate(90)))
    draw = ImageDraw.Draw(image)
    rng = random.Random(seed)
    for _ in range(30):
        x, y, extent = rng.randrange(size), rng.randrange(size), rng.randrange(size // 16, size // 4)
        draw.ellipse((x, y, x + extent, y + extent), fill=(rng.randrange(256), rng.randrange(256), rng.randrange(256)))
    image = image.filter(ImageFilter.GaussianBlur(size / 256))
    grain = Image.effect_noise((size, size), 12).convert("RGB")
    return Image.blend(image, grain, 0.08)


def encoded(image: Image.Image, fmt: str) -> bytes:
    """``image`` as ``fmt`` (PNG, JPEG, WEBP) bytes."""
    buffer = io.BytesIO()
    image.save(buffer, fmt)
    return buffer.getvalue()


def png_bytes(image: Image.Image) -> bytes:
    return encoded(image, "PNG")


def photo_png(size: int, seed: int = 1) -> bytes:
    return png_bytes(photo(size, seed))


def variant(png: bytes, number: int) -> bytes:
    """``png`` with a ``tEXt`` chunk naming ``number`` after its header: new bytes, same pixels."""
    if png[:8] != b"\x89PNG\r\n\x1a\n" or png[12:16] != b"IHDR":
        raise ValueError("not a PNG with its IHDR first")
    ihdr_end = 8 + 8 + struct.unpack(">I", png[8:12])[0] + 4
    data = b"bench\x00" + str(number).encode("ascii")
    chunk = struct.pack(">I", len(data)) + b"tEXt" + data + struct.pack(">I", zlib.crc32(b"tEXt" + data))
    return png[:ihdr_end] + chunk + png[ihdr_end:]
