"""The one place that turns an accepted upload into the bytes a client receives."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

from PIL import Image, ImageFilter

from mockserver.imaging.decode import SourceImage
from mockserver.imaging.encode import MEDIA_TYPES, EncodeSettings, encode
from mockserver.imaging.styles import conservative_tint, enhance
from mockserver.operations import CONSERVATIVE, CREATIVE, FAST, LEGACY


@dataclass(frozen=True)
class RenderOrder:
    """Everything that decides the output bytes, besides the input image."""

    operation_id: str
    output_format: str
    seed: int
    prompt: str = ""
    negative_prompt: str = ""
    creativity: float = 0.0
    style_preset: str | None = None
    content_filtered: bool = False


@dataclass(frozen=True)
class RenderSettings:
    """Server-wide rendering choices (from :class:`mockserver.settings.config.Config`)."""

    target_pixels: int = 4 * 1024 * 1024
    encode: EncodeSettings = field(default_factory=EncodeSettings)
    #: Operations whose output area is fixed otherwise (the live profile's production sizes).
    target_by_operation: Mapping[str, int] = field(default_factory=dict)

    def target_for(self, operation_id: str) -> int:
        return self.target_by_operation.get(operation_id, self.target_pixels)


@dataclass(frozen=True)
class RenderedImage:
    """An encoded output image and what the API reports about it."""

    data: bytes
    media_type: str
    width: int
    height: int
    seed: int
    finish_reason: str


def output_size(operation_id: str, width: int, height: int, target_pixels: int) -> tuple[int, int]:
    """Fast is exactly 4x each side; the others aim at ``target_pixels``, never shrinking.

    The published docs promise "about 4 megapixels" for conservative and creative,
    so the aspect ratio is kept and the scale is ``sqrt(target / input pixels)``.
    """
    if operation_id == FAST:
        return width * 4, height * 4
    scale = max(1.0, math.sqrt(target_pixels / (width * height)))
    return max(1, round(width * scale)), max(1, round(height * scale))


def render(source: SourceImage, order: RenderOrder, settings: RenderSettings) -> RenderedImage:
    """Upscale ``source`` as ``order`` says and encode it."""
    size = output_size(order.operation_id, source.width, source.height, settings.target_for(order.operation_id))
    alpha = source.image.getchannel("A").resize(size, Image.Resampling.LANCZOS) if source.has_alpha else None
    pixels = source.image.convert("RGB").resize(size, Image.Resampling.LANCZOS)
    if order.operation_id == CONSERVATIVE:
        pixels = pixels.filter(ImageFilter.UnsharpMask(radius=2, percent=int(60 + 200 * order.creativity), threshold=3))
        pixels = conservative_tint(
            pixels,
            seed=order.seed,
            prompt=order.prompt,
            negative_prompt=order.negative_prompt,
            creativity=order.creativity,
        )
    elif order.operation_id in (CREATIVE, LEGACY):
        pixels = enhance(
            pixels,
            seed=order.seed,
            prompt=order.prompt,
            negative_prompt=order.negative_prompt,
            creativity=order.creativity,
            style_preset=order.style_preset,
        )
    if order.content_filtered:
        pixels = pixels.filter(ImageFilter.GaussianBlur(radius=max(size) / 40))
    if alpha is not None:
        pixels.putalpha(alpha)
    return RenderedImage(
        data=encode(pixels, order.output_format, settings.encode),
        media_type=MEDIA_TYPES[order.output_format],
        width=size[0],
        height=size[1],
        seed=order.seed,
        finish_reason="CONTENT_FILTERED" if order.content_filtered else "SUCCESS",
    )
