"""The background sweep: expired jobs leave the store, and its files shrink, without any traffic.

Each worker process runs one daemon thread (started on its first request, since
threads do not survive gunicorn's fork) that every ``sweep_seconds`` drops what
expired and lets the store give space back (:meth:`Store.compact`). Workers
sweeping the same store at once is harmless: each step is a transaction.
The thread holds the app's services only weakly, and closing them (an app's
shutdown, or its collection) stops it at once rather than at its next tick.
"""

from __future__ import annotations

import logging
import os
import threading
import weakref
from collections.abc import Callable
from typing import Protocol

from mockserver.errors import StoreError
from mockserver.store.base import Store

log = logging.getLogger("stability_mock")


class SweepConfig(Protocol):
    """The one setting the sweeper reads."""

    @property
    def sweep_seconds(self) -> float: ...


class Swept(Protocol):
    """What the sweeper uses of the app's services (:class:`mockserver.services.Services`), which own it."""

    @property
    def store(self) -> Store: ...

    @property
    def clock(self) -> Callable[[], float]: ...

    @property
    def config(self) -> SweepConfig: ...


def sweep(services: Swept) -> int:
    """One sweep now: drop expired jobs and counters, then compact; how many jobs were dropped."""
    dropped = services.store.purge_expired(services.clock())
    services.store.compact()
    return dropped


class Sweeper:
    """Starts the sweep thread once per process (the pid tells a forked worker from its parent)."""

    def __init__(self) -> None:
        self._pid: int | None = None
        self._lock = threading.Lock()
        #: Set to end this process's sweep thread now rather than at its next tick.
        self._stop = threading.Event()

    def ensure_running(self, services: Swept) -> None:
        """Start this process's sweep thread unless it runs already: one comparison per request."""
        if self._pid == os.getpid():
            return
        with self._lock:
            if self._pid == os.getpid():
                return
            self._pid = os.getpid()
            self._stop = threading.Event()
            thread = threading.Thread(
                target=_loop,
                args=(weakref.ref(services), services.config.sweep_seconds, self._stop),
                name="stability-mock-sweeper",
                daemon=True,
            )
            thread.start()

    def stop(self) -> None:
        """End the sweep thread without waiting for it (a sweep under way finishes); the next request starts another."""
        with self._lock:
            self._stop.set()
            self._pid = None


def _loop(services_ref: weakref.ref[Swept], interval: float, stop: threading.Event) -> None:
    while not stop.wait(interval):
        services = services_ref()
        if services is None:
            return
        try:
            sweep(services)
        except StoreError as exc:
            # The store is away (Redis down, a locked file): the next sweep tries again.
            log.warning("sweep of expired jobs failed: %s", exc)
        except Exception:
            # Whatever else goes wrong, the sweeper outlives it: it is all that drops expired jobs when idle.
            log.exception("sweep of expired jobs failed")
        del services


__all__ = ["SweepConfig", "Sweeper", "Swept", "sweep"]
