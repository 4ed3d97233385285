"""Decode an upload safely: format, size rules and bombs are checked before pixels load."""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

from mockserver.errors import BadRequest
from mockserver.imaging.rules import LARGEST_INPUT_PIXELS, ImageRules

#: Pillow format name → the API's name for it.
INPUT_FORMATS = {"JPEG": "jpeg", "PNG": "png", "WEBP": "webp"}

# A second guard behind the per-operation rules, which run on the header's size
# before any pixel is decoded: Pillow itself refuses anything bigger.
Image.MAX_IMAGE_PIXELS = LARGEST_INPUT_PIXELS * 2

_HIGH_BIT_DEPTH = {"I", "I;16", "I;16L", "I;16B", "I;16N"}
_ALPHA_MODES = {"RGBA", "LA", "PA", "RGBa", "La"}


@dataclass(frozen=True)
class SourceImage:
    """An accepted upload: upright pixels in RGB or RGBA, and what it was."""

    image: Image.Image
    format: str
    width: int
    height: int

    @property
    def has_alpha(self) -> bool:
        return self.image.mode == "RGBA"


def probe(data: bytes, max_pixels: int = LARGEST_INPUT_PIXELS) -> tuple[str, int, int]:
    """The API format name and header size of ``data``, without decoding pixels."""
    try:
        with Image.open(io.BytesIO(data), formats=list(INPUT_FORMATS)) as image:
            return INPUT_FORMATS[image.format or ""], image.width, image.height
    except Image.DecompressionBombError as exc:
        raise BadRequest([f"image: must have at most {max_pixels:,} pixels"]) from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise BadRequest([f"image: {_why_unreadable(data, exc)}"]) from exc


def decode(data: bytes, rules: ImageRules) -> SourceImage:
    """Check ``data`` against ``rules`` and decode it, or raise :class:`BadRequest`."""
    image_format, width, height = probe(data, rules.max_pixels)
    problems = rules.problems(width, height)
    if problems:
        raise BadRequest(problems)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=list(INPUT_FORMATS))
            image.seek(0)
            image.load()
            upright = ImageOps.exif_transpose(image)
    except (OSError, SyntaxError, ValueError, EOFError, Image.DecompressionBombError, Warning) as exc:
        raise BadRequest(["image: could not be decoded (the file is truncated or corrupt)"]) from exc
    normal = _normalize(upright)
    return SourceImage(image=normal, format=image_format, width=normal.width, height=normal.height)


def _normalize(image: Image.Image) -> Image.Image:
    """RGBA when the image carries transparency, RGB otherwise; 16-bit scaled to 8."""
    if image.mode in _HIGH_BIT_DEPTH:
        image = image.convert("I").point(lambda value: value * (1 / 256)).convert("L")
    has_alpha = image.mode in _ALPHA_MODES or "transparency" in image.info
    if has_alpha:
        return image.convert("RGBA")
    return image.convert("RGB")


def _why_unreadable(data: bytes, exc: BaseException) -> str:
    if not data:
        return "is empty"
    try:
        with Image.open(io.BytesIO(data)) as other:
            return f"format {other.format} is not supported; send JPEG, PNG or WEBP"
    except Exception:
        return "is not a decodable JPEG, PNG or WEBP image"
