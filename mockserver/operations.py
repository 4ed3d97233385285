"""The API's three upscale operations, named once: operation ids as the spec writes them.

Everything that branches on an operation (rules, rendering, credits, the
contract suite) imports these names, so a typo is an import error, not a
silently unmatched string.
"""

from __future__ import annotations

FAST = "upscaleImageFast"
CONSERVATIVE = "upscaleImageConservative"
CREATIVE = "upscaleImageCreative"

#: The last path segment (``/v2beta/stable-image/upscale/<name>``) → operation id.
OPERATION_IDS: dict[str, str] = {"fast": FAST, "conservative": CONSERVATIVE, "creative": CREATIVE}

__all__ = ["CONSERVATIVE", "CREATIVE", "FAST", "OPERATION_IDS"]
