"""A mark, shared by every process using one SQLite file, that moves whenever the per-call state changes.

Every API call needs the runtime settings and whether any fault is queued (the
store's :class:`~mockserver.store.base.Snapshot`). They change only when someone
stages something, yet reading them was a SQLite read transaction on every call.
The mark is 8 bytes in a small file beside the database (``<file>-state``),
mapped into memory by each process: a call compares the mark with the one it
last read the state under, which is a memory read, and asks SQLite only when
the mark moved.

A writer commits first and moves the mark after, to 8 new random bytes rather
than a count, so two writers need no lock between them: whatever they write is
a value no reader has cached. A reader takes the mark before it reads the
state, so a change that commits in between leaves it holding a mark that has
moved by its next call. A file system that cannot map the file (or a read-only
folder) leaves the mark off: every call then reads SQLite, as before.
"""

from __future__ import annotations

import mmap
import os
from pathlib import Path

MARK_BYTES = 8


class ChangeMark:
    """The shared mark of one SQLite file's per-call state."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._map: mmap.mmap | None = None
        try:
            descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError:
            return
        try:
            if os.fstat(descriptor).st_size < MARK_BYTES:
                os.pwrite(descriptor, os.urandom(MARK_BYTES), 0)
            # Shared, so a write by any process (gunicorn workers are forked after this) is seen by all.
            self._map = mmap.mmap(descriptor, MARK_BYTES)
        except (OSError, ValueError):
            self._map = None
        finally:
            os.close(descriptor)

    def current(self) -> bytes | None:
        """The mark now; ``None`` when the mark is off (nothing may then be cached against it)."""
        mapped = self._map
        return None if mapped is None else mapped[:MARK_BYTES]

    def move(self) -> None:
        """Say the state changed: call after the change is committed."""
        mapped = self._map
        if mapped is not None:
            mapped[:MARK_BYTES] = os.urandom(MARK_BYTES)

    def close(self) -> None:
        """Unmap the file: from now on the mark is off, as where it cannot be mapped."""
        mapped, self._map = self._map, None
        if mapped is not None:
            mapped.close()


__all__ = ["MARK_BYTES", "ChangeMark"]
