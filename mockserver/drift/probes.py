"""The catalogue of requests a drift check sends to both sides, free ones first.

Free probes cannot be charged whatever the service does: each either carries a
key no account has (production judges the fields before the key, so a bad form
with that key gets the validator's whole 400 list, and a good form a 401), or
asks for something that does not exist (a result id nobody created). Paid probes
carry the user's key and cost production's list prices (:data:`COSTS`).
"""

from __future__ import annotations

import io
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from PIL import Image

from mockserver.operations import CONSERVATIVE, CREATIVE, FAST, LEGACY
from mockserver.pipeline.credits import COSTS

#: A key no account holds: a probe sent with it can be refused, never charged.
DUMMY_KEY = "sk-stability-mock-drift-probe-0000000000000000"
#: A result id of the right shape that nobody created (64 lowercase hex digits).
UNKNOWN_ID = "0" * 48 + "d71f7c0ffee0d71f"
#: One byte more than the largest body production accepts (10 MiB).
OVERSIZED_BYTES = 10 * 1024 * 1024 + 1

FAST_PATH = "/v2beta/stable-image/upscale/fast"
CONSERVATIVE_PATH = "/v2beta/stable-image/upscale/conservative"
CREATIVE_PATH = "/v2beta/stable-image/upscale/creative"
V2ALPHA_PATH = "/v2alpha/generation/stable-image/upscale"
RESULT_PATHS: Mapping[str, str] = {
    "results": "/v2beta/results/{id}",
    "creative-result": "/v2beta/stable-image/upscale/creative/result/{id}",
    "v2alpha-result": "/v2alpha/generation/stable-image/upscale/result/{id}",
}
#: The path each paid operation's job is polled on.
POLL_PATHS: Mapping[str, str] = {
    CONSERVATIVE: RESULT_PATHS["results"],
    CREATIVE: RESULT_PATHS["results"],
    LEGACY: RESULT_PATHS["v2alpha-result"],
}


@dataclass(frozen=True)
class Probe:
    """One request, sent the same way to the upstream and to the mock.

    ``key`` is ``"dummy"`` (:data:`DUMMY_KEY`), ``"user"`` (the ``--key`` given) or
    ``"none"`` (no ``Authorization`` header).
    """

    name: str
    method: str
    path: str
    what: str
    key: str = "dummy"
    fields: Mapping[str, str] = field(default_factory=dict)
    #: The uploaded ``image`` part's bytes, or None for a request without a file.
    image: bytes | None = None
    #: A whole body sent as is with ``content_type`` (instead of a multipart form).
    body: bytes | None = None
    content_type: str | None = None
    accept: str = "image/*"
    #: The operation a paid probe runs (its price is :data:`COSTS` of it); None for a free probe.
    operation: str | None = None

    @property
    def cost(self) -> int:
        return COSTS.get(self.operation, 0) if self.operation else 0

    @property
    def paid(self) -> bool:
        return self.cost > 0


def png(width: int, height: int) -> bytes:
    """A small gradient PNG: a real picture, so only what a probe means to break is wrong."""
    picture = Image.linear_gradient("L").resize((width, height)).convert("RGB")
    out = io.BytesIO()
    picture.save(out, "PNG")
    return out.getvalue()


def _post(name: str, path: str, what: str, **extra: Any) -> Probe:
    return Probe(name, "POST", path, what, **extra)


def free_probes() -> list[Probe]:
    """The probes that cost nothing, in the order they are sent."""
    image = png(64, 64)
    bad = "the 400 list"
    probes = [
        _post(
            "validation-fast",
            FAST_PATH,
            f"fast, a bad output_format, a dummy key: {bad}",
            image=image,
            fields={"output_format": "gif"},
        ),
        _post(
            "validation-conservative",
            CONSERVATIVE_PATH,
            f"conservative, no prompt, creativity 0.9: {bad}",
            image=image,
            fields={"creativity": "0.9", "output_format": "tiff"},
        ),
        _post(
            "validation-creative",
            CREATIVE_PATH,
            f"creative, no prompt, creativity 0.05, unknown style: {bad}",
            image=image,
            fields={"creativity": "0.05", "style_preset": "watercolour"},
        ),
        _post("validation-no-image", FAST_PATH, f"fast without an image: {bad}", fields={"output_format": "png"}),
        _post("unauthorized-wrong-key", FAST_PATH, "a good fast form, a key no account holds: 401", image=image),
        _post("unauthorized-no-key", FAST_PATH, "a good fast form, no Authorization: 401", image=image, key="none"),
        _post("payload-too-large", FAST_PATH, "a body of 10 MiB and one byte: 413", image=b"\0" * OVERSIZED_BYTES),
        _post(
            "wrong-content-type",
            FAST_PATH,
            "a JSON body instead of multipart/form-data",
            body=json.dumps({"output_format": "png"}).encode(),
            content_type="application/json",
        ),
    ]
    probes += [
        Probe(
            f"not-found-{name}",
            "GET",
            template.format(id=UNKNOWN_ID),
            f"GET {template} of an id nobody created: 404",
            key="user",
        )
        for name, template in RESULT_PATHS.items()
    ]
    return probes


def paid_probes() -> list[Probe]:
    """The probes production charges for, most telling first: the budget takes each that still fits, in order."""
    image = png(64, 64)
    prompt = {"prompt": "a lighthouse on a rocky shore at dusk", "output_format": "png"}
    return [
        Probe(
            "fast",
            "POST",
            FAST_PATH,
            "fast upscale of a 64x64 PNG",
            "user",
            {"output_format": "png"},
            image,
            operation=FAST,
        ),
        Probe(
            "conservative",
            "POST",
            CONSERVATIVE_PATH,
            "conservative upscale: sync image or async job",
            "user",
            prompt,
            image,
            operation=CONSERVATIVE,
        ),
        Probe(
            "creative",
            "POST",
            CREATIVE_PATH,
            "creative upscale (async): submit, polls, result",
            "user",
            prompt,
            image,
            operation=CREATIVE,
        ),
        Probe(
            "v2alpha",
            "POST",
            V2ALPHA_PATH,
            "v2alpha upscale (async): submit, polls, result",
            "user",
            prompt,
            image,
            operation=LEGACY,
        ),
    ]


def catalogue() -> list[Probe]:
    """Every probe, free ones first."""
    return [*free_probes(), *paid_probes()]


__all__ = [
    "DUMMY_KEY",
    "POLL_PATHS",
    "UNKNOWN_ID",
    "Probe",
    "catalogue",
    "free_probes",
    "paid_probes",
    "png",
]
