"""The bundled YAML documents, parsed once per content and kept beside them as JSON.

Every start parsed ``spec/openapi.yml`` with PyYAML: importing PyYAML (~27 ms) and
building the document (~10 ms) were close to a tenth of a cold start. The YAML stays
the one source of truth: a parsed copy is named after a hash of the exact text it was
parsed from (and of :data:`FORMAT`), so an edited document never matches an old copy
and is parsed again. A copy that cannot be read, trusted or written is ignored, and
the YAML is parsed as before; nothing of it reaches the user.

Like Python's bytecode, a copy is written when a start finds none, unless Python was
told not to write beside the sources (``PYTHONDONTWRITEBYTECODE``, ``-B``: containers,
read-only installs); ``python -m mockserver.openapi`` writes them anyway, as
``compileall`` does for bytecode (``make run`` and ``make bench`` run it).

Copies are kept only for documents JSON gives back equal and unshared: PyYAML can
build values JSON has no form for (dates, non-string keys), and aliases (``&a``/``*a``)
that make two places one object, which a JSON copy would split in two.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

#: Part of every copy's name: changing what a copy holds (or how it is parsed) retires every old one.
FORMAT = 1
#: The folder of copies beside the YAML files, which ``.gitignore`` and the package data leave out.
CACHE_FOLDER = "__pycache__"


def cached_parse(
    name: str, text: str, parse: Callable[[str], Any], folder: Path | None, *, write: bool | None = None
) -> Any:
    """``parse(text)``, or the copy of it kept in ``folder`` for this very ``text``.

    ``name`` (the YAML file's name) only groups the copies: writing one removes the
    other copies of the same name, left by earlier versions of the file. Without a
    folder this is ``parse(text)``. ``write``: whether to keep a copy when none fits;
    by default, unless Python writes no bytecode (see the module's docstring).
    """
    if folder is None:
        return parse(text)
    digest = hashlib.sha256(f"{FORMAT}\0{text}".encode()).hexdigest()
    path = folder / f"{name}.{digest}.json"
    kept = _read(path, digest)
    if kept is not None:
        return kept
    document = parse(text)
    if (not sys.dont_write_bytecode if write is None else write) and _survives_json(document):
        _write(path, digest, document)
    return document


def _read(path: Path, digest: str) -> Any | None:
    """The document kept at ``path`` if it is a whole copy made for ``digest``; else ``None``."""
    try:
        kept = json.loads(path.read_bytes())
    except (OSError, ValueError):
        return None
    if not isinstance(kept, dict) or kept.get("sha256") != digest or "document" not in kept:
        return None
    return kept["document"]


def _write(path: Path, digest: str, document: Any) -> None:
    """Keep ``document`` at ``path`` (whole or not at all), and drop older copies of the same file."""
    temporary = path.with_name(f"{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    try:
        path.parent.mkdir(exist_ok=True)
        temporary.write_text(json.dumps({"sha256": digest, "document": document}), "utf-8")
        os.replace(temporary, path)
        source_name = path.name.removesuffix(f".{digest}.json")
        for older in path.parent.glob(f"{source_name}.*.json"):
            if older != path:
                older.unlink(missing_ok=True)
    except OSError:
        with contextlib.suppress(OSError):
            temporary.unlink(missing_ok=True)


def _survives_json(document: Any) -> bool:
    """Whether a JSON copy of ``document`` reads back as an equal document with no shared parts."""
    try:
        same = json.loads(json.dumps(document, allow_nan=False)) == document
    except (TypeError, ValueError):
        return False
    return same and not _has_shared_parts(document)


def _has_shared_parts(document: Any) -> bool:
    """Whether one dict or list appears twice in ``document`` (a YAML alias)."""
    seen: set[int] = set()
    stack = [document]
    while stack:
        node = stack.pop()
        if isinstance(node, dict | list):
            if id(node) in seen:
                return True
            seen.add(id(node))
            stack.extend(node.values() if isinstance(node, dict) else node)
    return False


__all__ = ["CACHE_FOLDER", "FORMAT", "cached_parse"]
