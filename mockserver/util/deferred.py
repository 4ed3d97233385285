"""A value built once, on first use, by whichever thread asks for it first; the others wait for it.

For what is costly to build and not always needed (openapi-core, for a process that
may only ever see valid requests), so that start-up does not pay for it.
``functools.cached_property`` does not do: on Python 3.11 its lock is one per class,
shared by every instance, and on 3.12+ it has none, so two threads could both build.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class Deferred(Generic[T]):
    """``build()``'s value, built at the first :meth:`get`; a build that raises is tried again next time."""

    def __init__(self, build: Callable[[], T]) -> None:
        self._build = build
        self._value: tuple[T] | None = None
        self._lock = threading.Lock()

    @property
    def built(self) -> bool:
        return self._value is not None

    def get(self) -> T:
        found = self._value
        if found is None:
            with self._lock:
                found = self._value
                if found is None:
                    found = self._value = (self._build(),)
        return found[0]


__all__ = ["Deferred"]
