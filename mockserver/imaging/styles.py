"""Creative upscale's visible, deterministic "enhancement", built from Pillow filters.

Nothing here is meant to look like a diffusion model: it is meant to make the
output visibly depend on every creative input (seed, prompt, negative prompt,
creativity, style preset), the same way on every call and in every process.
"""

from __future__ import annotations

import colorsys
import hashlib
import random
from collections.abc import Callable

from PIL import Image, ImageChops, ImageEnhance, ImageFilter, ImageOps

Style = Callable[[Image.Image, float], Image.Image]


def _edges_darkened(image: Image.Image, strength: float) -> Image.Image:
    edges = ImageOps.invert(image.convert("L").filter(ImageFilter.FIND_EDGES)).convert("RGB")
    return Image.blend(image, ImageChops.multiply(image, edges), min(1.0, 0.4 + strength))


def _posterized(bits: int) -> Style:
    return lambda image, strength: ImageOps.posterize(image, bits)


def _tinted(colour: tuple[int, int, int], amount: float) -> Style:
    return lambda image, strength: Image.blend(image, Image.new("RGB", image.size, colour), amount * (0.5 + strength))


def _pixelated(block: int) -> Style:
    def style(image: Image.Image, strength: float) -> Image.Image:
        small = image.resize((max(1, image.width // block), max(1, image.height // block)), Image.Resampling.BOX)
        return small.quantize(32).convert("RGB").resize(image.size, Image.Resampling.NEAREST)

    return style


def _chain(*styles: Style) -> Style:
    def style(image: Image.Image, strength: float) -> Image.Image:
        for step in styles:
            image = step(image, strength)
        return image

    return style


Enhancer = Callable[[Image.Image], ImageEnhance._Enhance]


def _enhanced(enhancer: Enhancer, factor: float) -> Style:
    return lambda image, strength: enhancer(image).enhance(1 + (factor - 1) * (0.5 + strength))


def _filtered(image_filter: ImageFilter.Filter | type[ImageFilter.Filter]) -> Style:
    return lambda image, strength: image.filter(image_filter)


def _blended(step: Style, amount: float) -> Style:
    return lambda image, strength: Image.blend(image, step(image, strength), amount)


#: style_preset → its look.
STYLES: dict[str, Style] = {
    "enhance": _chain(_enhanced(ImageEnhance.Sharpness, 2.0), _enhanced(ImageEnhance.Color, 1.2)),
    "anime": _chain(_filtered(ImageFilter.SMOOTH_MORE), _posterized(4), _edges_darkened),
    "photographic": _chain(_enhanced(ImageEnhance.Contrast, 1.15), _enhanced(ImageEnhance.Sharpness, 1.6)),
    "digital-art": _chain(_enhanced(ImageEnhance.Color, 1.5), _filtered(ImageFilter.DETAIL)),
    "comic-book": _chain(_posterized(3), _edges_darkened),
    "fantasy-art": _chain(_tinted((120, 60, 200), 0.15), _blended(_filtered(ImageFilter.GaussianBlur(6)), 0.3)),
    "line-art": lambda image, strength: image.convert("L").filter(ImageFilter.CONTOUR).convert("RGB"),
    "analog-film": _chain(_tinted((160, 120, 70), 0.2), _enhanced(ImageEnhance.Contrast, 0.85)),
    "neon-punk": _chain(_enhanced(ImageEnhance.Color, 2.2), _tinted((255, 0, 200), 0.12)),
    "isometric": _filtered(ImageFilter.EDGE_ENHANCE_MORE),
    "low-poly": lambda image, strength: image.quantize(24).convert("RGB"),
    "origami": _chain(_posterized(4), _blended(_filtered(ImageFilter.EMBOSS), 0.25)),
    "modeling-compound": _chain(_filtered(ImageFilter.ModeFilter(5)), _enhanced(ImageEnhance.Color, 1.3)),
    "cinematic": _chain(_tinted((0, 110, 130), 0.12), _enhanced(ImageEnhance.Contrast, 1.25)),
    "3d-model": _chain(_blended(_filtered(ImageFilter.EMBOSS), 0.3), _enhanced(ImageEnhance.Contrast, 1.2)),
    "pixel-art": _pixelated(8),
    "tile-texture": _chain(_filtered(ImageFilter.DETAIL), _enhanced(ImageEnhance.Contrast, 1.3)),
}


def creative_rng(*parts: object) -> random.Random:
    """A generator seeded from every creative input, identical across processes."""
    digest = hashlib.sha256("\x1f".join(str(part) for part in parts).encode("utf-8")).digest()
    return random.Random(digest)


def enhance(
    image: Image.Image,
    *,
    seed: int,
    prompt: str,
    negative_prompt: str,
    creativity: float,
    style_preset: str | None,
) -> Image.Image:
    """Apply the creative look to an RGB image: tint, colour, sharpening, grain, style."""
    rng = creative_rng(seed, prompt, negative_prompt, creativity, style_preset or "")
    hue = rng.random()
    tint = tuple(round(255 * channel) for channel in colorsys.hsv_to_rgb(hue, 0.6, 0.9))
    image = Image.blend(image, Image.new("RGB", image.size, tint), 0.06 + 0.3 * creativity)
    image = ImageEnhance.Color(image).enhance(1 + creativity * rng.uniform(0.2, 1.6))
    image = ImageEnhance.Contrast(image).enhance(1 + creativity * rng.uniform(-0.3, 0.7))
    image = image.filter(
        ImageFilter.UnsharpMask(radius=rng.uniform(1.5, 3.5), percent=100 + int(creativity * 300), threshold=2)
    )
    if style_preset:
        image = STYLES[style_preset](image, creativity)
    return _grain(image, rng, 0.04 + 0.2 * creativity)


def conservative_tint(
    image: Image.Image, *, seed: int, prompt: str, negative_prompt: str, creativity: float
) -> Image.Image:
    """A faint tint picked from every conservative input: the output stays close to the
    upload, yet depends on each field the live API says changes it (seed, prompt,
    negative prompt, creativity), so a client that alters one gets other bytes."""
    rng = creative_rng("conservative", seed, prompt, negative_prompt, creativity)
    tint = (rng.randrange(256), rng.randrange(256), rng.randrange(256))
    return Image.blend(image, Image.new("RGB", image.size, tint), 0.02)


def _grain(image: Image.Image, rng: random.Random, amount: float) -> Image.Image:
    """Seeded noise, coarse enough to see: the clearest mark that the seed changed."""
    width, height = max(1, image.width // 4), max(1, image.height // 4)
    noise = Image.frombytes("L", (width, height), rng.randbytes(width * height))
    noise = noise.resize(image.size, Image.Resampling.BILINEAR).convert("RGB")
    return Image.blend(image, noise, amount)
