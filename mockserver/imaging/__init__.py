"""Pixels: the mock's only Pillow code, and the upscaler that turns a request into an image.

``rules`` (each operation's limits on an input), ``decode`` (safe decoding and
probing), ``render`` (the upscale itself), ``styles`` (style presets),
``encode`` (PNG, JPEG, WebP), ``thumbnail`` (the journal's previews),
``upscaler`` (:class:`~mockserver.imaging.upscaler.Upscaler`: the seed rule,
request → render order → image, behind a render cache) and ``cache_keys``
(everything that decides a render's bytes).

Imports: ``settings``, ``util``, ``errors``, ``operations``.
"""

from mockserver.imaging.decode import SourceImage, decode, probe
from mockserver.imaging.encode import MEDIA_TYPES, EncodeSettings, encode
from mockserver.imaging.render import RenderedImage, RenderOrder, RenderSettings, output_size, render
from mockserver.imaging.rules import RULES_BY_OPERATION, ImageRules

__all__ = [
    "MEDIA_TYPES",
    "RULES_BY_OPERATION",
    "EncodeSettings",
    "ImageRules",
    "RenderOrder",
    "RenderSettings",
    "RenderedImage",
    "SourceImage",
    "decode",
    "encode",
    "output_size",
    "probe",
    "render",
]
