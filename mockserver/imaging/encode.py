"""Encode rendered pixels in the requested output format, deterministically."""

from __future__ import annotations

import io
from dataclasses import dataclass

from PIL import Image

MEDIA_TYPES = {"png": "image/png", "jpeg": "image/jpeg", "webp": "image/webp"}


@dataclass(frozen=True)
class EncodeSettings:
    """Encoder knobs; PNG level 1 costs a quarter of level 6 for a slightly larger file."""

    png_compress_level: int = 1
    jpeg_quality: int = 90
    webp_quality: int = 90


def encode(image: Image.Image, output_format: str, settings: EncodeSettings) -> bytes:
    """``image`` (RGB or RGBA) as ``output_format`` bytes; JPEG flattens alpha onto white."""
    buffer = io.BytesIO()
    if output_format == "png":
        image.save(buffer, "PNG", compress_level=settings.png_compress_level)
    elif output_format == "jpeg":
        flatten(image).save(buffer, "JPEG", quality=settings.jpeg_quality)
    elif output_format == "webp":
        return _webp(image, settings.webp_quality)
    else:
        raise ValueError(f"unknown output format {output_format!r}")
    return buffer.getvalue()


#: WebP encoder settings, fastest first. libwebp's fastest method can overflow its first
#: partition ("encoding error 6") on large grainy images (Gaussian noise of sigma 32 or more, upscaled to 4096²);
#: its default method fits them. Each input always takes the same path, so output stays deterministic.
_WEBP_METHODS = (0, 4, 6)


def _webp(image: Image.Image, quality: int) -> bytes:
    for method in _WEBP_METHODS:
        buffer = io.BytesIO()
        try:
            image.save(buffer, "WEBP", quality=quality, method=method)
        except (OSError, ValueError):  # Pillow reports libwebp's failures as ValueError("encoding error N").
            if method == _WEBP_METHODS[-1]:
                raise
            continue
        return buffer.getvalue()
    raise AssertionError("unreachable: the last method raises or returns")


def flatten(image: Image.Image) -> Image.Image:
    """Composite an RGBA image onto white, as JPEG has no alpha channel."""
    if image.mode != "RGBA":
        return image
    background = Image.new("RGB", image.size, (255, 255, 255))
    background.paste(image, mask=image.getchannel("A"))
    return background
