"""Small previews of an input or a delivered image, for the dashboard's journal.

A preview only has to let a person recognise the picture, so it is a lossy WebP
of at most ``MAX_SIDE`` pixels a side: a few KB, whatever the image weighed.
"""

from __future__ import annotations

import io
import warnings

from PIL import Image

#: The longest side of a thumbnail, in pixels.
MAX_SIDE = 128
#: WebP quality: enough to recognise a picture at 128 px, about 2-6 KB.
QUALITY = 70
#: A thumbnail past this size is not kept (lossy WebP at 128 px stays far below it).
MAX_BYTES = 16 * 1024
#: A delivered image larger than this (the largest fast result, 4096²) gets no thumbnail:
#: ``--target-pixels`` allows 64 megapixels, and decoding that again would cost the thread
#: seconds and hundreds of MB for a 128 px preview.
MAX_SOURCE_PIXELS = 4096 * 4096


def thumbnail_size(width: int, height: int) -> tuple[int, int]:
    """``width`` x ``height`` scaled to fit ``MAX_SIDE`` (never enlarged), aspect kept, at least 1 px."""
    scale = min(1.0, MAX_SIDE / max(width, height, 1))
    return max(1, round(width * scale)), max(1, round(height * scale))


def thumbnail_of(image: Image.Image) -> bytes | None:
    """``image`` as a WebP thumbnail; ``None`` if it comes out larger than ``MAX_BYTES``.

    ``image`` is only read (decoded uploads are shared with the render cache):
    ``reducing_gap`` shrinks a large image by whole factors first, which is what
    keeps a 16-megapixel result cheap to preview.
    """
    size = thumbnail_size(image.width, image.height)
    small = image.resize(size, Image.Resampling.BILINEAR, reducing_gap=2.0)
    if small.mode not in ("RGB", "RGBA"):
        small = small.convert("RGBA" if "A" in small.getbands() else "RGB")
    buffer = io.BytesIO()
    small.save(buffer, "WEBP", quality=QUALITY, method=0)
    data = buffer.getvalue()
    return data if len(data) <= MAX_BYTES else None


def thumbnail_of_encoded(data: bytes) -> bytes | None:
    """A thumbnail of image bytes the mock encoded itself (a delivered result).

    JPEG is decoded at a reduced scale (``draft``), which costs a fraction of a
    full decode; PNG and WebP have no such shortcut.
    """
    with warnings.catch_warnings():
        # Pillow's bomb guard (set for uploads in decode.py) warns, then refuses, past its bound.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(io.BytesIO(data))
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            return None
    with image:
        if image.width * image.height > MAX_SOURCE_PIXELS:
            return None
        image.draft("RGB", thumbnail_size(image.width, image.height))
        image.load()
        return thumbnail_of(image)


__all__ = ["MAX_BYTES", "MAX_SIDE", "MAX_SOURCE_PIXELS", "thumbnail_of", "thumbnail_of_encoded", "thumbnail_size"]
