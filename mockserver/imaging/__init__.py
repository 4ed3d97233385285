"""Decoding, rules, rendering and encoding of images: the mock's only Pillow code."""

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
