"""From a validated request to a render order, and from an order to the image.

The seed rule lives here: ``seed=0`` means "pick one", and the mock picks it
from the request itself, so the same request gets the same seed (and the same
bytes) on every call and in every process.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

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
from mockserver.imaging.cache_keys import request_digest, upload_digest
from mockserver.settings.config import Config
from mockserver.settings.profiles import traits_of
from mockserver.util.lru import ByteBoundedLRU

MAX_SEED = 4_294_967_294
#: Conservative and creative output size where neither the configuration nor the profile sets one:
#: 2048², the "4 megapixel output" of the published docs.
SEED_TARGET_PIXELS = 4 * 1024 * 1024


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
    """Decodes uploads by their operation's rules and renders orders with server settings.

    Renders and decoded uploads go through one per-process :class:`ByteBoundedLRU`:
    a repeated request costs a hash instead of a decode and a render, and a job's
    upload decoded when it was accepted is not decoded again when the job is
    rendered. ``Config.render_cache_bytes=0`` turns it off.
    """

    def __init__(self, config: Config) -> None:
        chosen = config.target_pixels
        self.settings = RenderSettings(
            target_pixels=chosen if chosen is not None else SEED_TARGET_PIXELS,
            # A size set by hand applies to every operation; otherwise the profile's own sizes do.
            target_by_operation={} if chosen is not None else dict(traits_of(config.profile).output_pixels),
            encode=EncodeSettings(
                png_compress_level=config.png_compress_level,
                jpeg_quality=config.jpeg_quality,
                webp_quality=config.webp_quality,
            ),
        )
        self.cache: ByteBoundedLRU[RenderedImage | AcceptedImage] = ByteBoundedLRU(config.render_cache_bytes)

    def accept(self, operation_id: str, image: bytes) -> SourceImage:
        """Decode ``image`` under the operation's rules, or raise ``BadRequest``."""
        return self._accept(operation_id, image, upload_digest(image) if self.cache.max_bytes else b"")

    def cached_source(self, operation_id: str, image: bytes, digest: bytes | None = None) -> SourceImage | None:
        """The decoded upload, if this process accepted it and still has it; nothing is decoded or counted.

        ``digest`` is the upload's sha256 when the caller has it already (the journal's record does).
        """
        if not self.cache.max_bytes:
            return None
        found = self.cache.peek(("source", operation_id, digest or upload_digest(image)))
        return found if isinstance(found, AcceptedImage) else None

    def render(self, operation_id: str, image: bytes, order: RenderOrder) -> RenderedImage:
        """Decode and render; a cached result skips both (its upload was accepted when it was made)."""
        digest = upload_digest(image) if self.cache.max_bytes else b""
        cached = self._cached_render(operation_id, digest, order)
        if cached is not None:
            return cached
        return self._render_and_keep(self._accept(operation_id, image, digest), order)

    def render_source(self, source: SourceImage, order: RenderOrder) -> RenderedImage:
        """Render an image :meth:`accept` returned (cached), or any other source (not cached)."""
        if isinstance(source, AcceptedImage):
            cached = self._cached_render(source.operation_id, source.digest, order)
            if cached is not None:
                return cached
        return self._render_and_keep(source, order)

    def _accept(self, operation_id: str, image: bytes, digest: bytes) -> AcceptedImage:
        key = ("source", operation_id, digest)
        cached = self.cache.get(key) if digest else None
        if isinstance(cached, AcceptedImage):
            return cached
        source = decode(image, RULES_BY_OPERATION[operation_id])
        accepted = AcceptedImage(source.image, source.format, source.width, source.height, operation_id, digest)
        if digest:
            self.cache.put(key, accepted, accepted.pixel_bytes)
        return accepted

    def _cached_render(self, operation_id: str, digest: bytes, order: RenderOrder) -> RenderedImage | None:
        if not digest:
            return None
        cached = self.cache.get(("render", request_digest(operation_id, digest, order, self.settings)))
        return cached if isinstance(cached, RenderedImage) else None

    def _render_and_keep(self, source: SourceImage, order: RenderOrder) -> RenderedImage:
        result = render(source, order, self.settings)
        if isinstance(source, AcceptedImage) and source.digest:
            key = ("render", request_digest(source.operation_id, source.digest, order, self.settings))
            self.cache.put(key, result, len(result.data))
        return result


@dataclass(frozen=True)
class AcceptedImage(SourceImage):
    """A decoded upload that remembers its operation and digest, so renders of it can be cached.

    Kept in the cache and handed to several threads at once: its pixels are only
    ever read (every render converts or copies them first).
    """

    operation_id: str = ""
    #: sha256 of the upload; empty when the cache is off.
    digest: bytes = b""

    @property
    def pixel_bytes(self) -> int:
        return self.width * self.height * len(self.image.getbands())
