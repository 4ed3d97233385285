"""Profiles: which API the mock plays, as one OpenAPI document each.

``seed`` follows the user's seed specification (through ``spec/openapi.yml``, its
compatible superset). ``live`` follows Stability's own document and what production
does (``spec/live.yml``, written from both: conservative answers the image at once,
error bodies have no ``message``, the v2alpha upscale and the account endpoints
exist), so clients written against the real API run unchanged. Each is a whole
document: the live one does not derive from the seed's, because its source is
another document. ``spec/CHANGES.md`` lists every difference, with its source.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from mockserver.operations import CONSERVATIVE, CREATIVE, LEGACY

SEED = "seed"
LIVE = "live"
PROFILES = (SEED, LIVE)

#: Each profile's document, a file of ``spec/``.
DOCUMENTS: Mapping[str, str] = {SEED: "openapi.yml", LIVE: "live.yml"}


@dataclass(frozen=True)
class Traits:
    """What a profile does that its document cannot say: the shape of some answers, and sizes.

    Each field names one difference between the seed document's API and
    production (see spec/CHANGES.md for the sources).
    """

    #: JSON answers of an image carry ``finish-reason`` and ``seed`` headers too; production
    #: sends them with raw image bytes only (the values are in the JSON body).
    headers_on_json: bool = True
    #: Error bodies carry the seed document's ``message`` besides ``errors``; production
    #: sends ``id``, ``name`` and ``errors`` only.
    error_message: bool = True
    #: Output pixels of an operation when the profile fixes them (production's sizes); an
    #: operation not named here renders ``Config.target_pixels`` (2048² by default).
    output_pixels: Mapping[str, int] = field(default_factory=dict)


#: Production's outputs from a 512x512 input (2026-09-22): conservative 3112x3112 and creative
#: 3152x3152. The published docs describe a fixed target whatever the input ("upscale images as
#: small as 64x64 directly to a 4 megapixel output"), so the rule taken from the two observations
#: is a fixed output area per operation, the aspect ratio kept: about 9.7 and 9.9 megapixels.
#: The v2alpha upscale is the same service as creative (its fields and limits); nothing of it was observed.
PRODUCTION_OUTPUT_PIXELS: Mapping[str, int] = {CONSERVATIVE: 3112 * 3112, CREATIVE: 3152 * 3152, LEGACY: 3152 * 3152}

TRAITS: Mapping[str, Traits] = {
    SEED: Traits(),
    LIVE: Traits(headers_on_json=False, error_message=False, output_pixels=PRODUCTION_OUTPUT_PIXELS),
}


def traits_of(profile: str) -> Traits:
    """What ``profile`` does beyond its document (``ValueError`` for an unknown profile)."""
    if profile not in TRAITS:
        raise ValueError(f"unknown profile {profile!r}; choose one of: {', '.join(PROFILES)}")
    return TRAITS[profile]


def parse_document(text: str) -> Any:
    """``yaml.safe_load(text)``, with libyaml's parser (in C: a fifth of start-up went to parsing in Python).

    PyYAML is imported here, not with this module: a start that finds the bundled
    documents already parsed (:mod:`mockserver.openapi.parsed`) never imports it (~27 ms).
    """
    import yaml

    loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return yaml.load(text, Loader=loader)


def profile_document(profile: str, read_text: Callable[[str], str]) -> dict[str, Any]:
    """The OpenAPI document of ``profile`` (``seed`` or ``live``); ``read_text(name)`` reads a file of ``spec/``."""
    return document_of_profile(profile, lambda name: parse_document(read_text(name)))


def document_of_profile(profile: str, read_document: Callable[[str], Any]) -> dict[str, Any]:
    """:func:`profile_document`, from ``read_document(name)``: a file of ``spec/``, already parsed."""
    if profile not in DOCUMENTS:
        raise ValueError(f"unknown profile {profile!r}; choose one of: {', '.join(PROFILES)}")
    document: dict[str, Any] = read_document(DOCUMENTS[profile])
    return document


__all__ = [
    "DOCUMENTS",
    "LIVE",
    "PRODUCTION_OUTPUT_PIXELS",
    "PROFILES",
    "SEED",
    "TRAITS",
    "Traits",
    "document_of_profile",
    "parse_document",
    "profile_document",
    "traits_of",
]
