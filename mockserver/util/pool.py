"""A small per-process pool for work that may be skipped: it declines rather than queues.

Work done beside the answers (thumbnails, async jobs rendered ahead) must never
slow the next call down by piling up, nor take the cores the calls need: past ``limit`` tasks in hand, or
once its tasks have used their ``share`` of one core, :meth:`BoundedPool.submit`
says no at once and the caller drops the task.
"""

from __future__ import annotations

import math
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from typing import Any


class BoundedPool:
    """``threads`` threads, at most ``limit`` tasks in hand (running or waiting), and at most
    ``share`` of one core's time on average, with ``burst_seconds`` of CPU in hand after a quiet spell.

    The CPU a task used (its thread's time) is counted when it ends: a pool that went
    over its share declines until the time since has paid it back.
    """

    def __init__(
        self,
        threads: int,
        limit: int,
        name: str,
        *,
        share: float = math.inf,
        burst_seconds: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
        cpu_clock: Callable[[], float] = time.thread_time,
    ) -> None:
        self.threads = threads
        self.limit = limit
        self.name = name
        self.share = share
        self.burst_seconds = burst_seconds
        self.clock = clock
        self.cpu_clock = cpu_clock
        #: Tasks started and tasks declined, for benchmarks and tests.
        self.accepted = 0
        self.declined = 0
        self._lock = threading.Lock()
        self._pid: int | None = None
        self._pool: ThreadPoolExecutor | None = None
        self._in_hand: set[Future[Any]] = set()
        self._cpu_in_hand = burst_seconds
        self._refilled = clock()

    def submit(self, task: Callable[..., Any], *args: Any) -> Future[Any] | None:
        """Start ``task(*args)`` in the background: its future, or ``None`` (nothing started) when
        full, over its share, or off."""
        if not self.threads:
            return None
        with self._lock:
            pool = self._pool_of_this_process()
            if len(self._in_hand) >= self.limit or not self._cpu_left():
                self.declined += 1
                return None
            future = pool.submit(self._timed, task, args)
            self._in_hand.add(future)
            self.accepted += 1
        future.add_done_callback(self._forget)
        return future

    def settle(self, timeout: float = 30.0) -> None:
        """Wait for the tasks in hand (tests, and benchmarks that count their cost)."""
        with self._lock:
            in_hand = set(self._in_hand) if self._pid == os.getpid() else set()
        wait(in_hand, timeout=timeout)

    def close(self) -> None:
        """Drop the tasks not started and let the threads end once theirs are done; a later submit starts new ones.

        Nothing waits here: the app's finalizer calls this from whatever thread the
        collector runs in, one of these very threads included.
        """
        with self._lock:
            pool = self._pool if self._pid == os.getpid() else None
            self._pool = None
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)

    def _cpu_left(self) -> bool:
        """Pay back ``share`` of the time since the last look, up to the burst; any CPU left? (Under the lock.)"""
        now = self.clock()
        earned = (now - self._refilled) * self.share if self.share != math.inf else math.inf
        self._cpu_in_hand = min(self.burst_seconds, self._cpu_in_hand + earned)
        self._refilled = now
        return self._cpu_in_hand > 0

    def _timed(self, task: Callable[..., Any], args: tuple[Any, ...]) -> Any:
        started = self.cpu_clock()
        try:
            return task(*args)
        finally:
            used = self.cpu_clock() - started
            with self._lock:
                self._cpu_in_hand -= used

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
