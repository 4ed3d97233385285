"""A small per-process pool for work that may be skipped: it declines rather than queues.

Work done after an answer (thumbnails) must never slow the next call down by
piling up: past ``limit`` tasks in hand, :meth:`BoundedPool.submit` says no at
once and the caller drops the task.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from typing import Any


class BoundedPool:
    """``threads`` threads and at most ``limit`` tasks in hand (running or waiting)."""

    def __init__(self, threads: int, limit: int, name: str) -> None:
        self.threads = threads
        self.limit = limit
        self.name = name
        self._lock = threading.Lock()
        self._pid: int | None = None
        self._pool: ThreadPoolExecutor | None = None
        self._in_hand: set[Future[Any]] = set()

    def submit(self, task: Callable[..., Any], *args: Any) -> bool:
        """Start ``task(*args)`` in the background; ``False`` (and nothing started) when the pool is full or off."""
        if not self.threads:
            return False
        with self._lock:
            pool = self._pool_of_this_process()
            if len(self._in_hand) >= self.limit:
                return False
            future = pool.submit(task, *args)
            self._in_hand.add(future)
        future.add_done_callback(self._forget)
        return True

    def settle(self, timeout: float = 30.0) -> None:
        """Wait for the tasks in hand (tests, and benchmarks that count their cost)."""
        with self._lock:
            in_hand = set(self._in_hand) if self._pid == os.getpid() else set()
        wait(in_hand, timeout=timeout)

    def _pool_of_this_process(self) -> ThreadPoolExecutor:
        """Threads do not survive gunicorn's fork: each worker starts its own pool on first use."""
        if self._pool is None or self._pid != os.getpid():
            self._pid = os.getpid()
            self._in_hand = set()
            self._pool = ThreadPoolExecutor(max_workers=self.threads, thread_name_prefix=self.name)
        return self._pool

    def _forget(self, future: Future[Any]) -> None:
        with self._lock:
            self._in_hand.discard(future)


__all__ = ["BoundedPool"]
