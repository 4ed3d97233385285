"""The files of ``spec/``, read the same from a checkout or an installed wheel, and their local ``$ref``s."""

from __future__ import annotations

from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any

SPEC_PACKAGE_DIR = Path(__file__).resolve().parent.parent.parent / "spec"


def bundled_text(name: str) -> str:
    """A file of ``spec/``, whether running from a checkout or an installed wheel."""
    local = SPEC_PACKAGE_DIR / name
    if local.is_file():
        return local.read_text("utf-8")
    return resources.files("mockserver.bundled_spec").joinpath(name).read_text("utf-8")


def resolve_local_ref(document: Mapping[str, Any], node: Any) -> dict[str, Any]:
    """``node``, or what its local ``$ref`` chain (``#/components/...``) points at; ``{}`` if unresolvable."""
    while isinstance(node, dict) and isinstance(node.get("$ref"), str):
        target: Any = document
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target.get(part, {}) if isinstance(target, dict) else {}
        node = target
    return node if isinstance(node, dict) else {}


__all__ = ["SPEC_PACKAGE_DIR", "bundled_text", "resolve_local_ref"]
