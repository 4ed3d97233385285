"""The API's upscale operations, named once: operation ids as the documents write them.

Everything that branches on an operation (rules, rendering, credits, the
contract suite) imports these names, so a typo is an import error, not a
silently unmatched string.
"""

from __future__ import annotations

FAST = "upscaleImageFast"
CONSERVATIVE = "upscaleImageConservative"
CREATIVE = "upscaleImageCreative"
#: ``POST /v2alpha/generation/stable-image/upscale`` (live profile): creative's fields, limits and rendering.
LEGACY = "upscaleImageLegacy"

#: The last path segment (``/v2beta/stable-image/upscale/<name>``) → operation id.
OPERATION_IDS: dict[str, str] = {"fast": FAST, "conservative": CONSERVATIVE, "creative": CREATIVE}

__all__ = ["CONSERVATIVE", "CREATIVE", "FAST", "LEGACY", "OPERATION_IDS"]
