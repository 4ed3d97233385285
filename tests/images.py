"""Build test images in memory: every kind the API accepts, and the odd ones."""

from __future__ import annotations

import io
from typing import TypedDict, Unpack

from PIL import Image


def image_bytes(
    width: int = 64,
    height: int = 64,
    *,
    fmt: str = "PNG",
    mode: str = "RGB",
    color: tuple[int, ...] | int = (40, 120, 200),
    **save: object,
) -> bytes:
    """An image with a gradient (so resampling has something to work on)."""
    image = Image.new(mode, (width, height), color)
    if mode in ("RGB", "RGBA"):
        band = Image.linear_gradient("L").resize((width, height))
        channels = list(image.split())
        channels[0] = band
        image = Image.merge(mode, channels)
    buffer = io.BytesIO()
    image.save(buffer, fmt, **save)
    return buffer.getvalue()


class Look(TypedDict, total=False):
    """What :func:`png`, :func:`jpeg` and :func:`webp` pass on to :func:`image_bytes`."""

    mode: str
    color: tuple[int, ...] | int


def png(width: int = 64, height: int = 64, **kwargs: Unpack[Look]) -> bytes:
    return image_bytes(width, height, fmt="PNG", **kwargs)


def jpeg(width: int = 64, height: int = 64, **kwargs: Unpack[Look]) -> bytes:
    return image_bytes(width, height, fmt="JPEG", **kwargs)


def webp(width: int = 64, height: int = 64, **kwargs: Unpack[Look]) -> bytes:
    return image_bytes(width, height, fmt="WEBP", **kwargs)


def decoded(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image
