"""From a validated request to a render order, and from an order to the image.

The seed rule lives here: ``seed=0`` means "pick one", and the mock picks it
from the request itself, so the same request gets the same seed (and the same
bytes) on every call and in every process.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from mockserver.config import Config
from mockserver.imaging import (
    RULES_BY_OPERATION,
    EncodeSettings,
    RenderedImage,
    RenderOrder,
    RenderSettings,
    SourceImage,
    decode,
    render,
)

MAX_SEED = 4_294_967_294


def derive_seed(image: bytes, fields: Mapping[str, Any]) -> int:
    """A seed in 1..4294967294 from the request's image and fields."""
    digest = hashlib.sha256(image)
    digest.update(json.dumps(dict(fields), sort_keys=True, default=str).encode("utf-8"))
    return int.from_bytes(digest.digest()[:8], "big") % MAX_SEED + 1


def order_for(
    operation_id: str, body: Mapping[str, Any], image: bytes, *, content_filtered: bool = False
) -> RenderOrder:
    """The render order for a validated request body (defaults already applied)."""
    fields = {name: value for name, value in body.items() if name != "image"}
    seed = int(fields.get("seed") or 0) or derive_seed(image, {**fields, "operation": operation_id})
    return RenderOrder(
        operation_id=operation_id,
        output_format=str(fields.get("output_format", "png")),
        seed=seed,
        prompt=str(fields.get("prompt", "")),
        negative_prompt=str(fields.get("negative_prompt", "")),
        creativity=float(fields.get("creativity", 0.0)),
        style_preset=fields.get("style_preset"),
        content_filtered=content_filtered,
    )


class Upscaler:
    """Decodes uploads by their operation's rules and renders orders with server settings."""

    def __init__(self, config: Config) -> None:
        self.settings = RenderSettings(
            target_pixels=config.target_pixels,
            encode=EncodeSettings(
                png_compress_level=config.png_compress_level,
                jpeg_quality=config.jpeg_quality,
                webp_quality=config.webp_quality,
            ),
        )

    def accept(self, operation_id: str, image: bytes) -> SourceImage:
        """Decode ``image`` under the operation's rules, or raise ``BadRequest``."""
        return decode(image, RULES_BY_OPERATION[operation_id])

    def render(self, operation_id: str, image: bytes, order: RenderOrder) -> RenderedImage:
        return self.render_source(self.accept(operation_id, image), order)

    def render_source(self, source: SourceImage, order: RenderOrder) -> RenderedImage:
        return render(source, order, self.settings)
