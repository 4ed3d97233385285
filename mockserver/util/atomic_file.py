"""A file written whole or not at all: a temporary file beside it, renamed over it.

A reader (a browser opening a report, a replay reading a cassette, a worker reading
the CA) sees the old file or the new one, never half of either; a write stopped at any
moment leaves at most a dot-file named after the target, which the next write replaces.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

#: The mode of a file written without one: what ``open()`` gives under the usual umask (022).
DEFAULT_MODE = 0o644


def write_atomically(path: Path, data: bytes | str, *, mode: int = DEFAULT_MODE, durable: bool = False) -> None:
    """``path`` holds ``data`` (text as UTF-8), or keeps what it held.

    ``mode`` is set on the temporary file before a byte is written, so a private key is
    never briefly readable by others. ``durable`` flushes it to the disk before the rename,
    for files worth a power cut's wait (a cassette's exchanges). ``OSError`` propagates,
    after the temporary file is removed.
    """
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(handle, mode)
        with os.fdopen(handle, "wb") as file:
            file.write(data.encode("utf-8") if isinstance(data, str) else data)
            if durable:
                file.flush()
                os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


__all__ = ["DEFAULT_MODE", "write_atomically"]
