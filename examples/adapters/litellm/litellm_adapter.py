"""The contract suite's adapter for LiteLLM's Stability upscale (``litellm.image_edit``), unchanged.

    stability-mock contract --profile live --client litellm_adapter:factory --app-dir examples/adapters/litellm

LiteLLM routes ``model="stability/fast"`` (``conservative``, ``creative``) to the upscale
endpoints and takes the API's own field names as keyword arguments; ``api_base`` points it
at the suite's mock. The adapter calls it as its documentation does and hands back exactly
what it got: the image of the first result, or ``None`` when LiteLLM returned a response
with no image and raised nothing (creative's ``{"id": ...}``, which LiteLLM never polls).
It adds nothing LiteLLM does not do, or the suite could not see what LiteLLM gets wrong.
"""

from __future__ import annotations

import base64
import io
import os
from typing import Any

# The suite's mock is offline: when imported, LiteLLM fetches its price list from GitHub unless told
# to use its bundled copy, and retries for about 10 s before falling back to it.
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

import litellm

# LiteLLM prints a "Give Feedback / Get Help" banner on stdout with every exception it raises;
# the suite's report shows the exception itself.
litellm.suppress_debug_info = True

#: LiteLLM's retry setting, passed on every call as a user who wants retries would; the suite
#: checks the claim below (``num_retries`` is honoured only by LiteLLM's completion calls).
NUM_RETRIES = 2


class LiteLLMUpscaler:
    """The three upscale operations through ``litellm.image_edit``."""

    #: What LiteLLM's documentation promises: retries (``num_retries``), and a
    #: ``CONTENT_FILTERED`` result raised as an error rather than returned.
    contract_claims = frozenset({"retries", "content_filtered"})

    def __init__(self, base_url: str, api_key: str) -> None:
        self.base_url = base_url
        self.api_key = api_key

    def fast(self, image: bytes, **fields: Any) -> bytes | None:
        return self._upscale("fast", image, fields)

    def conservative(self, image: bytes, **fields: Any) -> bytes | None:
        return self._upscale("conservative", image, fields)

    def creative(self, image: bytes, **fields: Any) -> bytes | None:
        return self._upscale("creative", image, fields)

    def _upscale(self, operation: str, image: bytes, fields: dict[str, Any]) -> bytes | None:
        """The image LiteLLM returned, or ``None`` when its response holds none."""
        prompt = fields.pop("prompt", None)
        response = litellm.image_edit(
            image=io.BytesIO(image),
            prompt=prompt,
            model=f"stability/{operation}",
            api_base=self.base_url,
            api_key=self.api_key,
            num_retries=NUM_RETRIES,
            **fields,
        )
        if not response.data or not response.data[0].b64_json:
            return None
        return base64.b64decode(response.data[0].b64_json)


def factory(base_url: str, api_key: str) -> LiteLLMUpscaler:
    """The suite's entry point: ``--client litellm_adapter:factory``."""
    return LiteLLMUpscaler(base_url, api_key)
