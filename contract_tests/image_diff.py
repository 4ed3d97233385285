"""How a returned image differs from the one the server produced: in words, and as a picture.

"The bytes differ" sends a user to other properties to learn why; the format, size,
mode and the region where pixels first differ usually name the cause at once (a
format the client forced, a resize, a style that was not sent).
"""

from __future__ import annotations

import io

from PIL import Image, ImageChops, UnidentifiedImageError

#: Differences are scaled up by this factor in the picture, so a faint change is visible.
AMPLIFY = 8


def _opened(data: bytes) -> Image.Image | None:
    try:
        image = Image.open(io.BytesIO(data))
        image.load()
    except (UnidentifiedImageError, OSError, ValueError):
        return None
    return image


def describe_difference(expected: bytes, returned: bytes) -> str:
    """What differs between two encoded images, most telling first: format, size, mode, then pixels."""
    wanted, got = _opened(expected), _opened(returned)
    if wanted is None:
        return "the expected image cannot be decoded"
    if got is None:
        return f"the returned bytes are not an image (they start {returned[:24]!r})"
    differences = []
    if got.format != wanted.format:
        differences.append(f"format {got.format} where {wanted.format} was expected")
    if got.size != wanted.size:
        differences.append(f"size {got.size[0]}x{got.size[1]} where {wanted.size[0]}x{wanted.size[1]} was expected")
    if got.mode != wanted.mode:
        differences.append(f"mode {got.mode} where {wanted.mode} was expected")
    if got.size == wanted.size:
        peak = _peak_difference(wanted, got)
        box = peak.getbbox()
        if box is None:
            differences.append("the same pixels, encoded differently (compression or metadata)")
        else:
            histogram = peak.histogram()
            changed, total = sum(histogram[1:]), sum(histogram)
            largest = max(value for value, count in enumerate(histogram) if count)
            differences.append(
                f"pixels differ in the region ({box[0]}, {box[1]})-({box[2]}, {box[3]}): "
                f"{changed:,} of {total:,} pixels, by up to {largest} of 255"
            )
    return "; ".join(differences)


def difference_picture(expected: bytes, returned: bytes) -> bytes | None:
    """A PNG where each pixel is how much the two images differ there, amplified; ``None`` when
    they cannot be compared pixel by pixel (not both images, or not the same size)."""
    wanted, got = _opened(expected), _opened(returned)
    if wanted is None or got is None or wanted.size != got.size:
        return None
    buffer = io.BytesIO()
    _peak_difference(wanted, got).point(lambda value: min(255, value * AMPLIFY)).save(buffer, "PNG")
    return buffer.getvalue()


def _peak_difference(wanted: Image.Image, got: Image.Image) -> Image.Image:
    """Per pixel, the largest difference of any channel (alpha included), as one grey band."""
    bands = ImageChops.difference(wanted.convert("RGBA"), got.convert("RGBA")).split()
    peak = bands[0]
    for band in bands[1:]:
        peak = ImageChops.lighter(peak, band)
    return peak
