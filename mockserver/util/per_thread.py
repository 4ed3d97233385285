"""One resource per thread (a SQLite connection), closed however its thread or its owner goes.

A connection kept in a ``threading.local`` was closed only by the thread that
opened it, and only when asked: one opened by a render thread, a request thread
of a threaded server or a test's thread was left to the garbage collector, which
Python 3.13 reports as ``ResourceWarning: unclosed database`` at whatever
moment it collects (in a test that never touched SQLite, or in a user's suite).
Here each thread's resource sits in a slot whose ``weakref.finalize`` closes it
when the slot is dropped: its thread ended, or its owner was collected. The
owner's :meth:`PerThread.close` closes every thread's at once.

A resource opened before a fork is never closed in the child: SQLite's advice is
that a child must not touch a connection of its parent (closing it there can drop
the parent's file locks). The child opens its own and keeps the inherited ones,
unused, until it exits.
"""

from __future__ import annotations

import os
import threading
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Generic, TypeVar

T = TypeVar("T")

#: Resources a forked child inherited: kept (never closed, never collected) so nothing of the parent's is touched.
_INHERITED: list[object] = []


class _Slot(Generic[T]):
    """One thread's resource; ``release`` closes it, at most once, whoever calls it (or the collector)."""

    def __init__(self, value: T, close: Callable[[T], None]) -> None:
        self.value = value
        #: Held while the resource is in use, so it is never closed under its thread's feet.
        self.lock = threading.RLock()
        self.pid = os.getpid()
        self.release = weakref.finalize(self, _release, close, value, self.lock, self.pid)

    @property
    def usable(self) -> bool:
        return self.release.alive


def _release(close: Callable[[T], None], value: T, lock: threading.RLock, pid: int) -> None:
    if os.getpid() != pid:
        _INHERITED.append(value)
        return
    with lock:
        close(value)


class PerThread(Generic[T]):
    """A resource per thread, opened on first use by ``open_one`` and closed by ``close_one``.

    ``close_one`` runs in whatever thread lets go of the resource (its own as it
    ends, the one calling :meth:`close`, or the collector's), so the resource must
    allow that (SQLite: ``check_same_thread=False``).
    """

    def __init__(self, open_one: Callable[[], T], close_one: Callable[[T], None]) -> None:
        self._open = open_one
        self._close = close_one
        self._local = threading.local()
        self._lock = threading.Lock()
        self._slots: weakref.WeakSet[_Slot[T]] = weakref.WeakSet()

    @contextmanager
    def use(self) -> Iterator[T]:
        """This thread's resource, opened if it has none (or only a closed one, or its parent process's)."""
        while True:
            slot = self._slot()
            with slot.lock:
                if slot.usable:
                    yield slot.value
                    return

    def _slot(self) -> _Slot[T]:
        slot: _Slot[T] | None = getattr(self._local, "slot", None)
        if slot is None or not slot.usable or slot.pid != os.getpid():
            slot = _Slot(self._open(), self._close)
            self._local.slot = slot
            with self._lock:
                self._slots.add(slot)
        return slot

    def close(self) -> None:
        """Close every thread's resource; a thread that uses this again opens a new one."""
        with self._lock:
            slots = list(self._slots)
            self._slots.clear()
        for slot in slots:
            slot.release()


__all__ = ["PerThread"]
