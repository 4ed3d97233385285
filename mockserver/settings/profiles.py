"""Profiles: which API the mock plays, as one OpenAPI document each.

``seed`` follows the user's seed specification (through ``spec/openapi.yml``, its
compatible superset). ``live`` follows what api.stability.ai does today where the
two differ (conservative answers the image at once; the account endpoints exist),
so clients written against the live API run unchanged. The live document is the
bundled one with ``spec/live.yml`` applied as a JSON Merge Patch: one file states
every difference, and the two documents cannot drift apart.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from typing import Any

SEED = "seed"
LIVE = "live"
PROFILES = (SEED, LIVE)

#: The bundled document every profile starts from, and each profile's patch on it.
BASE_DOCUMENT = "openapi.yml"
_PATCHES: Mapping[str, str | None] = {SEED: None, LIVE: "live.yml"}


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7396 JSON Merge Patch: objects merge key by key, ``None`` deletes, anything else replaces.

    Returns a new value; neither argument is changed.
    """
    if not isinstance(patch, Mapping):
        return copy.deepcopy(patch)
    merged = copy.deepcopy(dict(target)) if isinstance(target, Mapping) else {}
    for key, value in patch.items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = merge_patch(merged.get(key), value)
    return merged


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
    return merged_profile(profile, lambda name: parse_document(read_text(name)))


def merged_profile(profile: str, read_document: Callable[[str], Any]) -> dict[str, Any]:
    """:func:`profile_document`, from ``read_document(name)``: a file of ``spec/``, already parsed."""
    if profile not in _PATCHES:
        raise ValueError(f"unknown profile {profile!r}; choose one of: {', '.join(PROFILES)}")
    document: dict[str, Any] = read_document(BASE_DOCUMENT)
    patch = _PATCHES[profile]
    if patch is not None:
        document = merge_patch(document, read_document(patch))
    return document


__all__ = ["LIVE", "PROFILES", "SEED", "merge_patch", "merged_profile", "parse_document", "profile_document"]
