"""A thread-safe LRU bounded in bytes, for the per-process caches (renders, uploads, spec verdicts).

The bound is in bytes, not entries, because one 4096² PNG weighs as much as a
thousand small ones.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable
from typing import Generic, TypeVar

V = TypeVar("V")


class ByteBoundedLRU(Generic[V]):
    """Values with a size in bytes; the least recently used go first when over ``max_bytes``.

    ``max_bytes=0`` turns the cache off: nothing is kept and every lookup misses.
    A value larger than the whole bound is not kept either, rather than flushing
    everything else for one entry that would be evicted by the next.
    """

    def __init__(self, max_bytes: int) -> None:
        if max_bytes < 0:
            raise ValueError("max_bytes must be ≥ 0")
        self.max_bytes = max_bytes
        self._entries: OrderedDict[Hashable, tuple[V, int]] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, key: Hashable) -> V | None:
        """The value kept under ``key`` (now the most recently used), or ``None``."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                self.misses += 1
                return None
            self._entries.move_to_end(key)
            self.hits += 1
            return entry[0]

    def peek(self, key: Hashable) -> V | None:
        """The value under ``key`` without counting a hit or a miss, or making it more recent.

        For readers beside the request path (thumbnails), whose lookups must not
        change what the cache keeps or what its counters say.
        """
        with self._lock:
            entry = self._entries.get(key)
        return None if entry is None else entry[0]

    def put(self, key: Hashable, value: V, size: int) -> None:
        """Keep ``value``, evicting the least recently used entries to stay within the bound."""
        if size > self.max_bytes:
            return
        with self._lock:
            previous = self._entries.pop(key, None)
            if previous is not None:
                self._size -= previous[1]
            self._entries[key] = (value, size)
            self._size += size
            while self._size > self.max_bytes:
                _, (_, evicted) = self._entries.popitem(last=False)
                self._size -= evicted

    @property
    def size_bytes(self) -> int:
        """The bytes kept now (never more than ``max_bytes``)."""
        return self._size

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, key: Hashable) -> bool:
        with self._lock:
            return key in self._entries

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._size = 0


__all__ = ["ByteBoundedLRU"]
