"""The live API's image rules, per operation (its published documentation; "How it behaves" in docs/getting-started)."""

from __future__ import annotations

from dataclasses import dataclass

from mockserver.operations import CONSERVATIVE, CREATIVE, FAST, LEGACY


@dataclass(frozen=True)
class ImageRules:
    """What an operation accepts as input: side and pixel bounds, aspect ratio."""

    min_side: int
    max_side: int | None
    min_pixels: int
    max_pixels: int
    max_aspect: float | None = None

    def problems(self, width: int, height: int) -> list[str]:
        """``image: …`` lines for every rule a ``width``x``height`` image breaks."""
        found = []
        if min(width, height) < self.min_side:
            found.append(f"image: each side must be at least {self.min_side} pixels (got {width}x{height})")
        if self.max_side is not None and max(width, height) > self.max_side:
            found.append(f"image: each side must be at most {self.max_side} pixels (got {width}x{height})")
        pixels = width * height
        if not self.min_pixels <= pixels <= self.max_pixels:
            found.append(
                f"image: must have between {self.min_pixels:,} and {self.max_pixels:,} pixels "
                f"(got {width}x{height} = {pixels:,})"
            )
        if self.max_aspect is not None and min(width, height) > 0:
            ratio = max(width, height) / min(width, height)
            if ratio > self.max_aspect:
                found.append(
                    f"image: aspect ratio must be between 1:{self.max_aspect:g} and {self.max_aspect:g}:1 "
                    f"(got {width}:{height})"
                )
        return found


_CREATIVE_RULES = ImageRules(min_side=64, max_side=None, min_pixels=4_096, max_pixels=1_048_576)

#: operationId → the rules for its ``image`` part (the v2alpha upscale is creative's service).
RULES_BY_OPERATION: dict[str, ImageRules] = {
    FAST: ImageRules(min_side=32, max_side=1536, min_pixels=1_024, max_pixels=1_048_576),
    CONSERVATIVE: ImageRules(min_side=64, max_side=None, min_pixels=4_096, max_pixels=9_437_184, max_aspect=2.5),
    CREATIVE: _CREATIVE_RULES,
    LEGACY: _CREATIVE_RULES,
}

#: No accepted input is larger than this; anything bigger is refused before decoding.
LARGEST_INPUT_PIXELS = max(rules.max_pixels for rules in RULES_BY_OPERATION.values())
