"""The files of ``spec/``, read and parsed the same from a checkout or a wheel, and their local ``$ref``s."""

from __future__ import annotations

from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any

from mockserver.openapi.parsed import CACHE_FOLDER, cached_parse
from mockserver.settings.profiles import parse_document

SPEC_PACKAGE_DIR = Path(__file__).resolve().parent.parent.parent / "spec"
#: Where a wheel puts ``spec/`` (the ``mockserver.bundled_spec`` package).
INSTALLED_SPEC_DIR = Path(__file__).resolve().parent.parent / "bundled_spec"


def bundled_text(name: str) -> str:
    """A file of ``spec/``, whether running from a checkout or an installed wheel."""
    local = SPEC_PACKAGE_DIR / name
    if local.is_file():
        return local.read_text("utf-8")
    return resources.files("mockserver.bundled_spec").joinpath(name).read_text("utf-8")


def bundled_document(name: str, *, write: bool | None = None) -> Any:
    """A YAML file of ``spec/``, parsed; a JSON copy kept beside it spares later starts PyYAML.

    See :mod:`mockserver.openapi.parsed`: the copy is named after the YAML text, so it
    always follows the file, and without a usable copy the file is parsed as before.
    """
    return cached_parse(name, bundled_text(name), parse_document, _copies_folder(name), write=write)


def keep_parsed_copies() -> list[Path]:
    """Write the parsed copy of every bundled YAML file that has none; the copies now there (for a build step)."""
    copies = _copies_folder("openapi.yml")
    if copies is None:
        return []
    kept: list[Path] = []
    for source in sorted(copies.parent.glob("*.yml")):
        bundled_document(source.name, write=True)
        kept += copies.glob(f"{source.name}.*.json")
    return kept


def _copies_folder(name: str) -> Path | None:
    """Where parsed copies of ``name`` are kept: beside the file, when it is a real file on disk."""
    for folder in (SPEC_PACKAGE_DIR, INSTALLED_SPEC_DIR):
        if (folder / name).is_file():
            return folder / CACHE_FOLDER
    return None


def resolve_local_ref(document: Mapping[str, Any], node: Any) -> dict[str, Any]:
    """``node``, or what its local ``$ref`` chain (``#/components/...``) points at; ``{}`` if unresolvable."""
    while isinstance(node, dict) and isinstance(node.get("$ref"), str):
        target: Any = document
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target.get(part, {}) if isinstance(target, dict) else {}
        node = target
    return node if isinstance(node, dict) else {}


__all__ = ["SPEC_PACKAGE_DIR", "bundled_document", "bundled_text", "keep_parsed_copies", "resolve_local_ref"]
