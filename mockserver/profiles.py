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

import yaml

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


#: libyaml's parser when PyYAML was built with it: the same documents, parsed in C (a fifth of
#: start-up went to parsing the bundled documents in Python).
_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def parse_document(text: str) -> Any:
    """``yaml.safe_load(text)``, with libyaml when there is one."""
    return yaml.load(text, Loader=_LOADER)


def profile_document(profile: str, read_text: Callable[[str], str]) -> dict[str, Any]:
    """The OpenAPI document of ``profile`` (``seed`` or ``live``); ``read_text(name)`` reads a file of ``spec/``."""
    if profile not in _PATCHES:
        raise ValueError(f"unknown profile {profile!r}; choose one of: {', '.join(PROFILES)}")
    document: dict[str, Any] = parse_document(read_text(BASE_DOCUMENT))
    patch = _PATCHES[profile]
    if patch is not None:
        document = merge_patch(document, parse_document(read_text(patch)))
    return document


__all__ = ["LIVE", "PROFILES", "SEED", "merge_patch", "parse_document", "profile_document"]
