"""The mock's own folders: private to their owner, and never committed by accident.

The default data folder, ``.stability-mock``, sits in the developer's working
directory, usually their own project: ``git add -A`` staged the CA's private key
and the journal (prompts, headers, thumbnails). A folder the mock creates is
mode 0700 and holds a ``.gitignore`` of ``*``, as pytest does for its cache; a
folder that already exists is left as it is (it may be the user's own).
"""

from __future__ import annotations

from pathlib import Path

GITIGNORE = "# Created by stability-mock: its state and CA key stay out of version control.\n*\n"


def private_folder(path: Path) -> Path:
    """``path``, created (with its parents) when missing: mode 0700, with a ``.gitignore`` of ``*``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        path.mkdir(mode=0o700)
    except FileExistsError:
        return path
    (path / ".gitignore").write_text(GITIGNORE, encoding="utf-8")
    return path


__all__ = ["GITIGNORE", "private_folder"]
